using System.Text;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary>What the cluster's providers and recipes wrote, read back by the tool exactly (tables and --json).</summary>
[Collection(ToolClusterCollection.Name)]
public sealed class ReadingTests(ToolClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task States_list_and_get_show_what_grains_wrote_with_the_etags_the_grains_hold()
    {
        var etags = new Dictionary<string, string?>();
        foreach (var key in new[] { "a-1", "a-2", "b/ü 3" })
        {
            etags[key] = await fixture.Cluster.Client.GetGrain<ICounterGrain>(key).Write("text of " + key, key.Length);
        }

        var json = await fixture.RunAsync("states", "list", "--service", ToolClusterFixture.ServiceId, "--type", "counter", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var listed = JsonDocument.Parse(json.Output);
        var states = listed.RootElement.GetProperty("states").EnumerateArray().ToDictionary(s => s.GetProperty("grainKey").GetString()!);
        foreach (var (key, etag) in etags)
        {
            Assert.Equal(etag, states[key].GetProperty("etag").GetString());
            Assert.Equal("json", states[key].GetProperty("format").GetString());
            Assert.Equal("data", states[key].GetProperty("state").GetString());
        }

        var prefixed = await fixture.RunAsync("states", "list", "-s", ToolClusterFixture.ServiceId, "--type", "counter", "--prefix", "a-");
        Assert.Equal(0, prefixed.ExitCode);
        Assert.Contains("counter/a-1", prefixed.Output, StringComparison.Ordinal);
        Assert.Contains("counter/a-2", prefixed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ü 3", prefixed.Output, StringComparison.Ordinal);
        Assert.Contains(etags["a-1"]!, prefixed.Output, StringComparison.Ordinal);

        var get = await fixture.RunAsync("states", "get", "counter", "b/ü 3", "data", "-s", ToolClusterFixture.ServiceId, "--json");
        Assert.True(get.ExitCode == 0, get.ToString());
        using var one = JsonDocument.Parse(get.Output);
        Assert.Equal(etags["b/ü 3"], one.RootElement.GetProperty("etag").GetString());
        Assert.Equal("text of b/ü 3", one.RootElement.GetProperty("value").GetProperty("Text").GetString());
        Assert.Equal(5, one.RootElement.GetProperty("value").GetProperty("Number").GetInt32());

        var table = await fixture.RunAsync("states", "get", "counter", "a-1", "data", "-s", ToolClusterFixture.ServiceId);
        Assert.Contains("etag      " + etags["a-1"], table.Output, StringComparison.Ordinal);
        Assert.Contains("\"Text\": \"text of a-1\"", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Members_lists_both_silos_active_with_a_fresh_iamalive_like_the_table_orleans_reads()
    {
        var json = await fixture.RunAsync("members", "--cluster", ToolClusterFixture.ClusterId, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var members = document.RootElement.GetProperty("members").EnumerateArray().ToList();
        var expected = fixture.Cluster.Silos.Select(s => s.SiloAddress.ToParsableString()).Order().ToList();
        Assert.Equal(expected, members.Select(m => m.GetProperty("silo").GetString()!).Order().ToList());
        Assert.All(members, m => Assert.Equal("Active", m.GetProperty("status").GetString()));
        Assert.All(members, m => Assert.InRange(m.GetProperty("iAmAliveAgeSeconds").GetDouble(), 0, 600));

        var table = await fixture.RunAsync("members", "-c", ToolClusterFixture.ClusterId);
        Assert.Contains("2 silo(s) in cluster 'tool-cluster' (2 active)", table.Output, StringComparison.Ordinal);
        Assert.Contains(expected[0], table.Output, StringComparison.Ordinal);

        var unknown = await fixture.RunAsync("members", "-c", "no-such-cluster");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No membership table for cluster 'no-such-cluster'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Elections_show_the_leader_the_silos_agree_on_with_its_fencing_token_and_the_queue()
    {
        var silos = fixture.Cluster.Silos.ToList();
        await TestWait.UntilAsync(() => silos.Count(s => ToolClusterFixture.Election(s).IsLeader) == 1 && silos.All(s => ToolClusterFixture.Election(s).IsParticipating), Patience, "one silo leads");
        var leader = ToolClusterFixture.Election(silos.Single(s => ToolClusterFixture.Election(s).IsLeader));
        var token = leader.FencingToken;

        var json = await fixture.RunAsync("elections", "jobs", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal("leader", entries[0].GetProperty("role").GetString());
        Assert.Equal(token, entries[0].GetProperty("fencingToken").GetInt64());
        Assert.Contains("participant: " + leader.ParticipantId, entries[0].GetProperty("data").GetString(), StringComparison.Ordinal);
        Assert.Equal("waiting #1", entries[1].GetProperty("role").GetString());

        var table = await fixture.RunAsync("elections");
        Assert.Contains("jobs", table.Output, StringComparison.Ordinal);
        Assert.Contains(token.ToString(System.Globalization.CultureInfo.InvariantCulture), table.Output, StringComparison.Ordinal);

        var unknown = await fixture.RunAsync("elections", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Unknown election scope 'nope'", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("known: jobs", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locks_and_semaphores_show_holders_with_their_fencing_tokens_and_waiters_in_order()
    {
        var theLock = fixture.Container.CreateLock("batch");
        await using var held = await theLock.AcquireAsync();
        using var waiting = new CancellationTokenSource();
        var waiter = fixture.Container.CreateLock("batch").AcquireAsync(waiting.Token);
        var semaphore = fixture.Container.CreateSemaphore("slots", 2);
        await using var first = await semaphore.AcquireAsync();
        await using var second = await semaphore.AcquireAsync();
        using var thirdWaiting = new CancellationTokenSource();
        var third = semaphore.AcquireAsync(thirdWaiting.Token);
        try
        {
            await TestWait.UntilAsync(async () => (await fixture.Client.GetChildrenAsync(theLock.Path)).Count == 2 && (await fixture.Client.GetChildrenAsync(semaphore.Path)).Count == 3, Patience, "the waiters queued");

            var locks = await fixture.RunAsync("locks", "batch", "--json");
            Assert.True(locks.ExitCode == 0, locks.ToString());
            using (var document = JsonDocument.Parse(locks.Output))
            {
                var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
                Assert.Equal(["holder", "waiting #1"], entries.Select(e => e.GetProperty("role").GetString()!));
                Assert.Equal(held.FencingToken, entries[0].GetProperty("fencingToken").GetInt64());
                Assert.Equal("0x" + held.SessionId.ToString("x"), entries[0].GetProperty("session").GetString());
            }

            var semaphores = await fixture.RunAsync("semaphores", "slots", "--max-leases", "2", "--json");
            using (var document = JsonDocument.Parse(semaphores.Output))
            {
                var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
                Assert.Equal(["holder", "holder", "waiting #1"], entries.Select(e => e.GetProperty("role").GetString()!));
                Assert.Equal(new[] { first.FencingToken, second.FencingToken }.Order(), entries.Take(2).Select(e => e.GetProperty("fencingToken").GetInt64()).Order());
            }

            var table = await fixture.RunAsync("locks");
            Assert.Contains("batch", table.Output, StringComparison.Ordinal);
            Assert.Contains("holder", table.Output, StringComparison.Ordinal);
            Assert.Contains("waiting #1", table.Output, StringComparison.Ordinal);
        }
        finally
        {
            waiting.Cancel();
            thirdWaiting.Cancel();
            await Task.WhenAll(waiter.ContinueWith(_ => { }), third.ContinueWith(_ => { }));
        }
    }

    [Fact]
    public async Task Containers_lists_an_advertisement_with_its_session_and_data()
    {
        await using var advertisement = await fixture.Container.AdvertiseAsync(Encoding.UTF8.GetBytes("web-1 http://127.0.0.1:8080"));
        var json = await fixture.RunAsync("containers", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var mine = document.RootElement.GetProperty("advertisements").EnumerateArray().Single(a => advertisement.CurrentPath!.EndsWith(a.GetProperty("node").GetString()!, StringComparison.Ordinal));
        Assert.Equal("web-1 http://127.0.0.1:8080", mine.GetProperty("data").GetString());
        Assert.Equal("0x" + fixture.Client.SessionId.ToString("x"), mine.GetProperty("session").GetString());
    }

    [Fact]
    public async Task Tree_names_each_node_by_our_layout()
    {
        await fixture.Cluster.Client.GetGrain<ICounterGrain>("tree-1").Write("t", 1);
        var run = await fixture.RunAsync("tree");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("grain storage of service 'svc-tool'", run.Output, StringComparison.Ordinal);
        Assert.Contains("storage layout version 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("grain type 'counter'", run.Output, StringComparison.Ordinal);
        Assert.Contains("state 'data' of key 'tree-1': json,", run.Output, StringComparison.Ordinal);
        Assert.Contains("incarnation guard", run.Output, StringComparison.Ordinal);
        Assert.Contains("membership table, version", run.Output, StringComparison.Ordinal);
        Assert.Contains(", Active", run.Output, StringComparison.Ordinal);
        Assert.Contains("leader elections", run.Output, StringComparison.Ordinal);
        Assert.Contains("first (leader / holder), fencing token", run.Output, StringComparison.Ordinal);

        var json = await fixture.RunAsync("tree", ToolClusterFixture.ServiceId, "--json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Contains(document.RootElement.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("kind").GetString() == "state" && n.GetProperty("path").GetString()!.EndsWith("/tree-1.data", StringComparison.Ordinal));

        var missing = await fixture.RunAsync("tree", "no/such/node");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_prints_changes_below_a_path_until_cancelled()
    {
        var path = fixture.BasePath + "/watched-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Client.CreateAsync(path);
        using var stop = new CancellationTokenSource();
        var output = new SyncWriter();
        var error = new SyncWriter();
        var watching = Cli.ToolApp.RunAsync(["--url", fixture.Url, "watch", path, "--json"], output, error, stop.Token, environment: _ => null);
        await TestWait.UntilAsync(() => error.Text.Contains("watching " + path, StringComparison.Ordinal), Patience, "the watch is set");
        await fixture.Client.CreateAsync(path + "/child", "x"u8.ToArray());
        await fixture.Client.SetDataAsync(path + "/child", "y"u8.ToArray());
        await fixture.Client.DeleteAsync(path + "/child");
        await TestWait.UntilAsync(() => output.Text.Contains("nodeDeleted", StringComparison.Ordinal), Patience, "the deletion is printed");
        stop.Cancel();
        Assert.Equal(0, await watching);
        var events = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("path").ValueKind == JsonValueKind.String).ToList(); // connection lines have no path
        Assert.Equal(["nodeCreated", "nodeDataChanged", "nodeDeleted"], events.Select(e => e.GetProperty("event").GetString()!));
        Assert.All(events, e => Assert.Equal(path + "/child", e.GetProperty("path").GetString()));
    }

    /// <summary>A writer the watch's thread and the test read safely.</summary>
    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }
    }
}
