using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Orleans.ZooKeeper.Tests;

/// <summary>Health checks through a real silo host's <see cref="HealthCheckService"/>: one per container, following its state.</summary>
public sealed class HealthCheckTests : IAsyncLifetime
{
    private ZooKeeperServer _server = null!;
    private TcpProxy _proxy = null!;
    private TcpProxy _nowhere = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _server = await ZooKeeperServer.StartNewAsync();
        _proxy = new TcpProxy(_server.Port);
        _nowhere = new TcpProxy(_server.Port);
        _nowhere.Block(); // "never" cannot connect at all
        var builder = new TestClusterBuilder(1);
        builder.Properties["zk:cut"] = $"zookeeper://{_proxy.ConnectString}/health-cut";
        builder.Properties["zk:direct"] = $"zookeeper://{_server.ConnectString}/health-direct";
        builder.Properties["zk:never"] = $"zookeeper://{_nowhere.ConnectString}/health-never";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _proxy.DisposeAsync();
        await _nowhere.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Each_container_is_a_health_check_that_follows_its_state()
    {
        var health = ((InProcessSiloHandle)_cluster.Primary!).SiloHost.Services.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync();
        Assert.Equal(["zookeeper:cut", "zookeeper:direct", "zookeeper:never"], report.Entries.Keys.Order());
        var direct = report.Entries["zookeeper:direct"];
        Assert.Equal(HealthStatus.Healthy, direct.Status);
        Assert.Equal(_server.ConnectString, direct.Data["server"]);
        Assert.Matches("^0x[0-9a-f]+$", (string)direct.Data["sessionId"]);
        Assert.NotEqual("0x0", direct.Data["sessionId"]);
        Assert.IsType<double>(direct.Data["secondsInState"]);
        Assert.Contains("zookeeper", direct.Tags);

        var never = report.Entries["zookeeper:never"];
        Assert.Equal(HealthStatus.Unhealthy, never.Status);
        Assert.Equal("LOST", never.Data["state"]);
        Assert.Contains(_nowhere.ConnectString, never.Description); // the last connect error names the server
        Assert.Equal(HealthStatus.Unhealthy, report.Status);

        _proxy.Block();
        await TestWait.UntilAsync(async () => (await health.CheckHealthAsync()).Entries["zookeeper:cut"].Status == HealthStatus.Degraded, TimeSpan.FromSeconds(20), "cut container Degraded");
        var cut = (await health.CheckHealthAsync()).Entries["zookeeper:cut"];
        Assert.Equal("SUSPENDED", cut.Data["state"]);
        Assert.Equal("(none)", cut.Data["server"]);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["zookeeper:direct"].Status);

        _proxy.Unblock();
        await TestWait.UntilAsync(async () => (await health.CheckHealthAsync()).Entries["zookeeper:cut"].Status == HealthStatus.Healthy, TimeSpan.FromSeconds(20), "cut container Healthy again");
        var back = (await health.CheckHealthAsync()).Entries["zookeeper:cut"];
        Assert.True((double)back.Data["secondsInState"] < 20);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddZooKeeperHealthChecks(); // before the containers: registration order does not matter
            siloBuilder.AddZooKeeperContainer("cut", siloBuilder.Configuration["zk:cut"]);
            siloBuilder.AddZooKeeperContainer("direct", siloBuilder.Configuration["zk:direct"]);
            siloBuilder.AddZooKeeperContainer("never", siloBuilder.Configuration["zk:never"], configure: o => o.WaitForConnectionOnStartup = false);
        }
    }
}

/// <summary>A container whose client may use read-only servers is Degraded while only a read-only server answers.</summary>
public sealed class ReadOnlyHealthCheckTests : IAsyncLifetime
{
    private ZooKeeperEnsemble _ensemble = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { ReadOnlyMode = true });
        var builder = new TestClusterBuilder(1);
        builder.Properties["zk:ensemble"] = $"zookeeper://{_ensemble.ConnectString}/health-ro";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _ensemble.DisposeAsync();
    }

    [Fact]
    public async Task A_container_on_a_read_only_server_is_degraded_and_says_why()
    {
        var health = ((InProcessSiloHandle)_cluster.Primary!).SiloHost.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["zookeeper:ro"].Status);

        // Two of three nodes gone: the survivor loses its quorum and serves read-only; the client reconnects to it.
        await _ensemble.KillNodeAsync(1);
        await _ensemble.KillNodeAsync(2);
        await _ensemble.Nodes[0].WaitForModeAsync(ZooKeeperMode.ReadOnly, TimeSpan.FromSeconds(30));
        await TestWait.UntilAsync(
            async () => (string)(await health.CheckHealthAsync()).Entries["zookeeper:ro"].Data["state"] == "CONNECTED (read-only)",
            TimeSpan.FromSeconds(30),
            "container connected read-only");
        var entry = (await health.CheckHealthAsync()).Entries["zookeeper:ro"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(_ensemble.Nodes[0].ConnectString, entry.Data["server"]);
        Assert.Contains("read-only server", entry.Description, StringComparison.Ordinal);
        Assert.Contains("writes fail", entry.Description, StringComparison.Ordinal);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddZooKeeperHealthChecks();
            siloBuilder.AddZooKeeperContainer("ro", siloBuilder.Configuration["zk:ensemble"], configure: o => o.ConfigureClient = c =>
            {
                c.CanBeReadOnly = true;
                c.SessionTimeout = TimeSpan.FromSeconds(4);
            });
        }
    }
}
