using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// How the test clusters are set up. Every silo has: "zookeeper" (code, own URL), "PubSubStore" (ZooKeeper, for the
/// memory stream provider "streams"), "cfgstore" (only from configuration: Orleans:GrainStorage:cfgstore:*),
/// "cfgmarked" (configuration too, with SerializerKey naming a keyed serializer), "viacontainer" (through the
/// container "shared"), "secure" (digest credentials).
/// </summary>
public static class ClusterSetup
{
    public const string MainProvider = "zookeeper";
    public const string ConfiguredProvider = "cfgstore";
    public const string MarkedProvider = "cfgmarked";
    public const string MarkerSerializerKey = "marker";
    public const string ContainerProvider = "viacontainer";
    public const string SecureProvider = "secure";
    public const string SharedContainer = "shared";
    public const string StreamProvider = "streams";
    public const string StreamNamespace = "numbers";
    public const string SecureUser = "silo-user";

    /// <summary>Kept out of the cluster's configuration so only the provider can have shown it anywhere.</summary>
    public static readonly string SecurePassword = "silo-pw-" + Guid.NewGuid().ToString("N");

    /// <summary>Every log entry of every test silo.</summary>
    public static LogCapture SiloLogs { get; } = new();

    public static string Url(ServerFixture fixture, string basePath, string sub) => $"zookeeper://{fixture.Server.ConnectString}{basePath}/{sub}";

    public static TestClusterBuilder Builder(ServerFixture fixture, string basePath, string serviceId, short silos)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Properties["zk:main"] = Url(fixture, basePath, "main");
        builder.Properties["zk:pubsub"] = Url(fixture, basePath, "pubsub");
        builder.Properties["zk:shared"] = Url(fixture, basePath, "shared");
        builder.Properties["zk:secure"] = Url(fixture, basePath, "secure");

        // The configuration-only provider: nothing in code names it.
        builder.Properties[$"Orleans:GrainStorage:{ConfiguredProvider}:ProviderType"] = "ZooKeeper";
        builder.Properties[$"Orleans:GrainStorage:{ConfiguredProvider}:Url"] = Url(fixture, basePath, "configured");
        builder.Properties[$"Orleans:GrainStorage:{ConfiguredProvider}:DeleteStateOnClear"] = "true";
        builder.Properties[$"Orleans:GrainStorage:{ConfiguredProvider}:MaxStateSize"] = "4096";
        builder.Properties[$"Orleans:GrainStorage:{MarkedProvider}:ProviderType"] = "ZooKeeper";
        builder.Properties[$"Orleans:GrainStorage:{MarkedProvider}:Url"] = Url(fixture, basePath, "marked");
        builder.Properties[$"Orleans:GrainStorage:{MarkedProvider}:SerializerKey"] = MarkerSerializerKey;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        return builder;
    }

    public static IServiceProvider Services(this TestCluster cluster, int silo = 0)
        => ((InProcessSiloHandle)cluster.Silos[silo]).SiloHost.Services;

    internal static ZooKeeperGrainStorage Storage(this TestCluster cluster, string name, int silo = 0)
        => (ZooKeeperGrainStorage)cluster.Services(silo).GetRequiredKeyedService<IGrainStorage>(name);

    /// <summary>The znode a provider keeps a grain's state in, computed independently of the provider: {root}/{type}/{key}.{state}.</summary>
    public static string NodeOf(string root, GrainId grainId, string stateName)
        => $"{root}/{ZNodeNames.Encode(grainId.Type.ToString()!)}/{ZNodeNames.Encode(grainId.Key.ToString()!)}.{ZNodeNames.Encode(stateName)}";

    /// <summary>The znode version 1 of the provider kept a grain's state in: {root}/{type}/{key}/{state}.</summary>
    public static string LegacyNodeOf(string root, GrainId grainId, string stateName)
        => $"{root}/{ZNodeNames.Encode(grainId.Type.ToString()!)}/{ZNodeNames.Encode(grainId.Key.ToString()!)}/{ZNodeNames.Encode(stateName)}";

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = siloBuilder.Configuration;
            siloBuilder.Services.AddSingleton<ILoggerProvider>(SiloLogs);
            siloBuilder.Services.AddLogging(b => b.AddFilter("Orleans.Persistence.ZooKeeper", LogLevel.Trace).AddFilter("Orleans.ZooKeeper", LogLevel.Trace));
            siloBuilder.AddZooKeeperGrainStorage(MainProvider, o => o.Url = configuration["zk:main"]);
            siloBuilder.AddZooKeeperGrainStorage("PubSubStore", o => o.Url = configuration["zk:pubsub"]);
            siloBuilder.AddZooKeeperContainer(SharedContainer, configuration["zk:shared"]);
            siloBuilder.AddZooKeeperGrainStorage(ContainerProvider, o => o.ContainerName = SharedContainer);
            siloBuilder.AddZooKeeperGrainStorage(SecureProvider, o =>
            {
                o.Url = configuration["zk:secure"];
                o.Username = SecureUser;
                o.Password = SecurePassword;
            });
            siloBuilder.AddMemoryStreams(StreamProvider);
            siloBuilder.Services.AddKeyedSingleton<IGrainStorageSerializer>(MarkerSerializerKey, new MarkingSerializer());
            siloBuilder.AddZooKeeperHealthChecks();
            siloBuilder.AddActivityPropagation();
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.AddMemoryStreams(StreamProvider).AddActivityPropagation();
    }
}
