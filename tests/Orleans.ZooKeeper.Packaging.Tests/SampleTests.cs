using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Packaging.Tests;

/// <summary>
/// README's main job: the Orleans sample (as scripts/run-sample.sh runs it, against a server of its own here and on
/// free ports) forms its cluster, keeps grain state in ZooKeeper across runs, shows the stored state and runs the
/// leader election demo.
/// </summary>
public sealed class SampleTests
{
    [Fact]
    public async Task The_sample_runs_twice_and_the_second_run_sees_the_state_the_first_stored()
    {
        await using var server = await ZooKeeperServer.StartNewAsync();
        var ports = FreePort.Next(4);
        var sample = Path.Combine(Repository.Root, "samples", "Orleans.ZooKeeper.Sample", "bin", "Release", "net10.0");
        var environment = new Dictionary<string, string>
        {
            ["ASAB_ZOOKEEPER_SERVERS"] = server.ConnectString,
            ["SAMPLE_PORTS"] = string.Join(',', ports),
        };

        var first = await Dotnet.RunAsync("dotnet", [Path.Combine(sample, "Orleans.ZooKeeper.Sample.dll")], sample, environment);
        Assert.Contains("alice has visited 1 time(s)", first, StringComparison.Ordinal);
        Assert.Contains("/sample-service/profile/alice.profile = json | {\"Name\":\"alice\",\"Visits\":1", first, StringComparison.Ordinal);
        Assert.Contains("silo 1 stopped; the container closed its session", first, StringComparison.Ordinal);
        Assert.Matches(@"reminder 'nightly-report' registered; it ticked on silo [12]", first);
        Assert.Contains("reminder 'nightly-report' ticked on silo 1 after silo 2 stopped", first, StringComparison.Ordinal);
        Assert.Matches(@"cart 'alice' is active on silo [12]; its directory entry: /\S+/sample-cluster\.directory/zk/grains/[0-9A-F]{2}/cart%2Falice", first);
        Assert.Matches(@"silo [AB] stopped; silo [AB] leads \d+ ms later", first);

        var second = await Dotnet.RunAsync("dotnet", [Path.Combine(sample, "Orleans.ZooKeeper.Sample.dll")], sample, environment);
        Assert.Contains("alice has visited 2 time(s)", second, StringComparison.Ordinal);
        Assert.Contains("carol has visited 2 time(s)", second, StringComparison.Ordinal);
    }
}
