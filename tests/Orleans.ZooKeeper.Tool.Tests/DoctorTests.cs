using System.Text;
using System.Text.Json;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary><c>doctor</c> on the cluster's healthy tree and on a tree with planted faults.</summary>
[Collection(ToolClusterCollection.Name)]
public sealed class DoctorTests(ToolClusterFixture fixture)
{
    [Fact]
    public async Task On_the_running_cluster_it_reports_the_server_session_and_layout_and_no_warnings()
    {
        await fixture.Cluster.Client.GetGrain<ICounterGrain>("doctor-ok").Write("x", 1);
        var run = await fixture.RunAsync("doctor", "--json");
        using var document = JsonDocument.Parse(run.Output);
        var root = document.RootElement;
        var findings = root.GetProperty("findings").EnumerateArray().ToList();
        Assert.DoesNotContain(findings, f => f.GetProperty("severity").GetString() is "warning" or "error" && !f.GetProperty("subject").GetString()!.EndsWith("corrupt.data", StringComparison.Ordinal));
        var server = root.GetProperty("servers")[0];
        Assert.StartsWith("3.8.0", server.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal("standalone", server.GetProperty("mode").GetString());
        Assert.True(server.GetProperty("roundTripMilliseconds").GetDouble() > 0);
        Assert.Contains("2", root.GetProperty("layoutVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(fixture.Client.NegotiatedSessionTimeout.TotalSeconds, root.GetProperty("sessionTimeoutSeconds").GetDouble(), 0);
        Assert.Contains("world:anyone:cdrwa", root.GetProperty("acl").GetString(), StringComparison.Ordinal);
        Assert.Contains(findings, f => f.GetProperty("what").GetString()!.Contains("world:anyone may write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Planted_faults_are_each_found_with_what_to_do_and_exit_1()
    {
        var basePath = "/doctor-" + Guid.NewGuid().ToString("N")[..8];
        var client = fixture.Client;
        var state = $"{basePath}/svc/counter/k1.data";
        await client.CreateWithParentsAsync(basePath + "/svc/layout.v2", "2"u8.ToArray());
        var created = await client.CreateWithParentsAsync(state, Encoding.UTF8.GetBytes("\u001ejson\n{\"Text\":\"ok\"}"));
        var czxid = (await client.ExistsAsync(state))!.Value.Czxid;
        await client.CreateAsync(state + "/" + czxid.ToString("x"));
        await client.CreateAsync(state + "/" + (czxid - 1).ToString("x")); // a stale guard
        await client.CreateAsync($"{basePath}/svc/counter/k2.data", Encoding.UTF8.GetBytes("\u001ejson\n{broken")); // unreadable, no guard
        await client.CreateWithParentsAsync($"{basePath}/election/jobs/0123456789abcdef0123456789abcdef-0000000000", "participant: gone"u8.ToArray()); // no session owns it
        var opaque = (await client.CreateAsync($"{basePath}/svc/counter/k3.data", new byte[] { 0, 1, 2 })).Stat; // another serializer's unmarked data: fine
        await client.CreateAsync($"{basePath}/svc/counter/k3.data/" + opaque.Czxid.ToString("x"));
        await client.CreateWithParentsAsync($"{basePath}/svc/counter/oldkey/data", "{}"u8.ToArray()); // a version-1 state
        await client.CreateAsync($"{basePath}/election/jobs/fedcba9876543210fedcba9876543210-", "participant: live"u8.ToArray(), CreateMode.EphemeralSequential);

        var run = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://{fixture.Server.ConnectString}{basePath}", "doctor", "--json"]);
        Assert.True(run.ExitCode == 1, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var findings = document.RootElement.GetProperty("findings").EnumerateArray().Select(f => (Severity: f.GetProperty("severity").GetString(), Subject: f.GetProperty("subject").GetString()!, What: f.GetProperty("what").GetString()!, ToDo: f.GetProperty("toDo").GetString()!)).ToList();

        var stale = Assert.Single(findings, f => f.Subject == state + "/" + (czxid - 1).ToString("x"));
        Assert.Equal("warning", stale.Severity);
        Assert.Contains("orphan incarnation guard", stale.What, StringComparison.Ordinal);
        Assert.Contains("delete", stale.ToDo, StringComparison.Ordinal);

        Assert.Contains(findings, f => f.Subject.EndsWith("/k2.data", StringComparison.Ordinal) && f.Severity == "error" && f.What.Contains("does not decode", StringComparison.Ordinal) && f.ToDo.Contains("states put --etag", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Subject.EndsWith("/k2.data", StringComparison.Ordinal) && f.Severity == "info" && f.What.Contains("no incarnation guard", StringComparison.Ordinal));
        var orphan = Assert.Single(findings, f => f.Subject.EndsWith("-0000000000", StringComparison.Ordinal));
        Assert.Equal("error", orphan.Severity);
        Assert.Contains("no session owns it", orphan.What, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.Subject.Contains("fedcba98", StringComparison.Ordinal)); // its session is connected
        Assert.DoesNotContain(findings, f => f.Subject == state);
        Assert.DoesNotContain(findings, f => f.Subject.Contains("/k3.data", StringComparison.Ordinal));
        var legacy = Assert.Single(findings, f => f.Subject.Contains("/oldkey", StringComparison.Ordinal));
        Assert.Equal(("info", $"{basePath}/svc/counter/oldkey"), (legacy.Severity, legacy.Subject));

        var table = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://{fixture.Server.ConnectString}{basePath}", "doctor"]);
        Assert.Equal(1, table.ExitCode);
        Assert.Contains("orphan incarnation guard", table.Output, StringComparison.Ordinal);
        Assert.Contains("what to do: delete it (zkCli: delete", table.Output, StringComparison.Ordinal);
        Assert.Contains("error(s), ", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_no_member_serves_is_reported_for_its_queue_node()
    {
        var basePath = "/doctor-" + Guid.NewGuid().ToString("N")[..8];
        await using var other = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString, SessionTimeout = TimeSpan.FromSeconds(30) });
        await other.CreateWithParentsAsync(basePath + "/locks/l/00000000000000000000000000000000-", "holder"u8.ToArray(), CreateMode.EphemeralSequential);

        // Cut the client off without closing its session: the node stays until the session expires.
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var cutOff = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = proxy.ConnectString, SessionTimeout = TimeSpan.FromSeconds(30) });
        await cutOff.CreateAsync(basePath + "/locks/l/11111111111111111111111111111111-", "cut off"u8.ToArray(), CreateMode.EphemeralSequential);
        proxy.Block();
        await TestWait.UntilAsync(async () => (await FourLetterWordsConsAsync()).Contains("0x" + cutOff.SessionId.ToString("x"), StringComparison.Ordinal) is false, TimeSpan.FromSeconds(60), "the server dropped the cut-off connection");

        var run = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://{fixture.Server.ConnectString}{basePath}", "doctor", "--json"]);
        using var document = JsonDocument.Parse(run.Output);
        var findings = document.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var gone = Assert.Single(findings, f => f.GetProperty("subject").GetString()!.Contains("/11111111", StringComparison.Ordinal));
        Assert.Contains($"0x{cutOff.SessionId:x} is connected to no ensemble member", gone.GetProperty("what").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.GetProperty("subject").GetString()!.Contains("/00000000", StringComparison.Ordinal));
    }

    private async Task<string> FourLetterWordsConsAsync()
    {
        var answer = await Doctor.FourLetterWords.AskAsync(new ServerAddress("127.0.0.1", fixture.Server.Port), "cons", TimeSpan.FromSeconds(5), CancellationToken.None);
        return answer.Text ?? string.Empty;
    }
}
