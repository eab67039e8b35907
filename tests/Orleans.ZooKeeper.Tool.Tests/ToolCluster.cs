using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary>What one run of the tool printed and returned.</summary>
public sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// A real ZooKeeper server and a two-silo cluster on it writing what the tool reads: ZooKeeper clustering (cluster
/// "tool-cluster"), grain storage "zookeeper" (service "svc-tool"), the container "main" with the election "jobs" —
/// all below one base path. The tests' own container on the same path takes locks, semaphore leases and advertises.
/// </summary>
public sealed class ToolClusterFixture : IAsyncLifetime
{
    public const string ServiceId = "svc-tool";
    public const string ClusterId = "tool-cluster";

    public ZooKeeperServer Server { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public string BasePath { get; } = "/tool-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The tests' own container on the base path (locks, semaphores, advertisements, direct reads).</summary>
    public ZooKeeperContainer Container { get; private set; } = null!;

    public string Url => $"zookeeper://{Server.ConnectString}{BasePath}";

    public async Task InitializeAsync()
    {
        // Sessions get the timeout they ask for (the default cap, 20 ticks, would be 4 s): a loaded CI box does not
        // expire them between a test's setup and the tool's read.
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200, MaxSessionTimeout = 60_000 });
        var builder = new TestClusterBuilder(2);
        builder.Options.ServiceId = ServiceId;
        builder.Options.ClusterId = ClusterId;
        builder.Options.UseTestClusterMembership = false;
        builder.Properties["zk:url"] = Url;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Container = new ZooKeeperContainer("tests", ZooKeeperTargetResolver.Resolve(Url, null));
        await Container.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Container.DisposeAsync();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Server.DisposeAsync();
    }

    public ZooKeeperClient Client => Container.Client;

    public static ZooKeeperLeaderElection Election(SiloHandle silo)
        => ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredKeyedService<ZooKeeperLeaderElection>(ZooKeeperLeaderElection.ServiceKey("main", "jobs"));

    /// <summary>Runs <c>orleans-zk --url {Url} ARGS</c> in process (no environment variables seen).</summary>
    public Task<ToolRun> RunAsync(params string[] args) => RunRawAsync(["--url", Url, .. args]);

    public static async Task<ToolRun> RunRawAsync(string[] args, CancellationToken cancellationToken = default, Func<string, string?>? environment = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await ToolApp.RunAsync(args, output, error, cancellationToken, interactive: false, environment: environment ?? (_ => null));
        return new ToolRun(code, output.ToString(), error.ToString());
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var url = siloBuilder.Configuration["zk:url"];
            siloBuilder.UseZooKeeperClustering(o => o.Url = url);
            siloBuilder.AddZooKeeperGrainStorage("zookeeper", o => o.Url = url);
            siloBuilder.AddZooKeeperContainer("main", url);
            siloBuilder.AddZooKeeperLeaderElection("main", "jobs");
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.UseZooKeeperClustering(o => o.Url = configuration["zk:url"]);
    }
}

[CollectionDefinition(Name)]
public sealed class ToolClusterCollection : ICollectionFixture<ToolClusterFixture>
{
    public const string Name = "tool cluster";
}
