using Microsoft.Extensions.Configuration;
using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary>Where the tool connects: --url, --config (asab INI / JSON), ASAB_ZOOKEEPER_SERVERS — as containers resolve it.</summary>
[Collection(ToolClusterCollection.Name)]
public sealed class TargetTests(ToolClusterFixture fixture)
{
    [Fact]
    public async Task An_asab_ini_file_a_json_file_and_the_environment_variable_each_name_the_ensemble()
    {
        var ini = Path.GetTempFileName() + ".ini";
        var json = Path.GetTempFileName() + ".json";
        try
        {
            await File.WriteAllTextAsync(ini, $"[zookeeper]\nservers={fixture.Server.ConnectString}\npath={fixture.BasePath}\n");
            await File.WriteAllTextAsync(json, $$"""{ "zookeeper": { "servers": "{{fixture.Server.ConnectString}}", "path": "{{fixture.BasePath}}" } }""");
            foreach (var file in new[] { ini, json })
            {
                var run = await ToolClusterFixture.RunRawAsync(["--config", file, "members", "-c", ToolClusterFixture.ClusterId]);
                Assert.True(run.ExitCode == 0, run.ToString());
                Assert.Contains("2 silo(s) in cluster", run.Output, StringComparison.Ordinal);
            }

            var environmentOnly = await ToolClusterFixture.RunRawAsync(["--url", "zookeeper://" + fixture.BasePath, "members", "-c", ToolClusterFixture.ClusterId], environment: name => name == "ASAB_ZOOKEEPER_SERVERS" ? fixture.Server.ConnectString : null);
            Assert.True(environmentOnly.ExitCode == 0, environmentOnly.ToString());
        }
        finally
        {
            File.Delete(ini);
            File.Delete(json);
        }
    }

    [Fact]
    public async Task No_servers_anywhere_and_a_bad_url_are_clear_errors_naming_where_they_looked()
    {
        var nothing = await ToolClusterFixture.RunRawAsync(["members", "-c", "x"]);
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("No ZooKeeper servers", nothing.Error, StringComparison.Ordinal);
        Assert.Contains("ASAB_ZOOKEEPER_SERVERS", nothing.Error, StringComparison.Ordinal);

        var badUrl = await ToolClusterFixture.RunRawAsync(["--url", "http://127.0.0.1:2181/x", "tree"]);
        Assert.Equal(1, badUrl.ExitCode);
        Assert.Contains("http://127.0.0.1:2181/x", badUrl.Error, StringComparison.Ordinal);

        var missingConfig = await ToolClusterFixture.RunRawAsync(["--config", "/nonexistent/app.ini", "tree"]);
        Assert.Equal(1, missingConfig.ExitCode);
        Assert.Contains("--config '/nonexistent/app.ini' does not exist", missingConfig.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_ensemble_fails_within_the_timeout_with_exit_3()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        var run = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://127.0.0.1:{port}/x", "--timeout", "1", "tree"]);
        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith($"orleans-zk: ", run.Error, StringComparison.Ordinal);
        Assert.Contains($"ZooKeeper zookeeper://127.0.0.1:{port}/x", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Digest_credentials_from_the_command_line_are_used_and_never_printed()
    {
        var basePath = "/secure-" + Guid.NewGuid().ToString("N")[..8];
        const string password = "s3cret-tool-pw";
        await using var owner = new ZooKeeperContainer("owner", ZooKeeperTargetResolver.Resolve($"zookeeper://{fixture.Server.ConnectString}{basePath}", new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["zookeeper:username"] = "ops", ["zookeeper:password"] = password }).Build()));
        await owner.StartAsync();
        await owner.Client.CreateAsync(basePath + "/secret", "hidden"u8.ToArray(), Client.CreateMode.Persistent, Client.Acls.CreatorAll);

        var anonymous = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://{fixture.Server.ConnectString}{basePath}", "tree"]);
        Assert.True(anonymous.ExitCode == 0, anonymous.ToString());
        Assert.Contains(basePath + "  — no permission to read it", anonymous.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden", anonymous.Output, StringComparison.Ordinal);
        var authorised = await ToolClusterFixture.RunRawAsync(["--url", $"zookeeper://{fixture.Server.ConnectString}{basePath}", "--username", "ops", "--password", password, "tree"]);
        Assert.True(authorised.ExitCode == 0, authorised.ToString());
        Assert.Contains("secret  — 6 B: hidden", authorised.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, authorised.Output + authorised.Error + anonymous.Error, StringComparison.Ordinal);
    }
}
