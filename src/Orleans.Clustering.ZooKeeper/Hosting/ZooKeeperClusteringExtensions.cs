using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Clustering.ZooKeeper;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Sets up ZooKeeper clustering: the membership table on silos, the gateway list on clients.</summary>
public static class ZooKeeperClusteringExtensions
{
    /// <summary>
    /// Keeps the silo's membership table in ZooKeeper: <c>siloBuilder.UseZooKeeperClustering(o => o.ContainerName = "main")</c>
    /// (through a registered container) or <c>o.Url = "zookeeper://zk1:2181,zk2:2181/orleans"</c> (a container of its
    /// own). Without options the target comes from the <c>zookeeper</c> configuration section and <c>ASAB_ZOOKEEPER_SERVERS</c>.
    /// </summary>
    public static ISiloBuilder UseZooKeeperClustering(this ISiloBuilder builder, Action<ZooKeeperClusteringOptions>? configure = null)
        => builder.UseZooKeeperClustering(ob => ob.Configure(o => configure?.Invoke(o)));

    /// <summary>Keeps the silo's membership table in ZooKeeper, configured through an options builder.</summary>
    public static ISiloBuilder UseZooKeeperClustering(this ISiloBuilder builder, Action<OptionsBuilder<ZooKeeperClusteringOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);
        AddCommon(builder.Services, configureOptions);
        builder.Services.AddSingleton<IMembershipTable>(sp => sp.GetRequiredService<ZooKeeperMembershipTable>());
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ZooKeeperMembershipTable>());
        return builder;
    }

    /// <summary>
    /// Lets a client find the gateways in the ZooKeeper membership table (same options as the silos';
    /// <see cref="ZooKeeperProviderContainerOptions.ContainerName"/> works with a container added to the client's services).
    /// </summary>
    public static IClientBuilder UseZooKeeperClustering(this IClientBuilder builder, Action<ZooKeeperClusteringOptions>? configure = null)
        => builder.UseZooKeeperClustering(ob => ob.Configure(o => configure?.Invoke(o)));

    /// <summary>Lets a client find the gateways in the ZooKeeper membership table, configured through an options builder.</summary>
    public static IClientBuilder UseZooKeeperClustering(this IClientBuilder builder, Action<OptionsBuilder<ZooKeeperClusteringOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);
        AddCommon(builder.Services, configureOptions);
        builder.Services.AddSingleton<IGatewayListProvider, ZooKeeperGatewayListProvider>();
        return builder;
    }

    private static void AddCommon(IServiceCollection services, Action<OptionsBuilder<ZooKeeperClusteringOptions>> configureOptions)
    {
        configureOptions(services.AddOptions<ZooKeeperClusteringOptions>());
        services.TryAddSingleton<ZooKeeperMembershipTable>();

        // Its connection comes from the provider host, which also lists its own container (health checks).
        services.AddZooKeeperProvider(ZooKeeperMembershipTable.ProviderName, sp => sp.GetRequiredService<IOptions<ZooKeeperClusteringOptions>>().Value);
        services.AddSingleton<IConfigurationValidator>(sp => new ZooKeeperClusteringOptionsValidator(
            sp.GetRequiredService<IOptions<ZooKeeperClusteringOptions>>().Value,
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value,
            sp.GetService<IConfiguration>()));
        services.ConfigureFormatter<ZooKeeperClusteringOptions>();
    }
}
