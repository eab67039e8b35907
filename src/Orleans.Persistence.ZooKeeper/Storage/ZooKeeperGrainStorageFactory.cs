using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Orleans.ZooKeeper;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>Builds <see cref="ZooKeeperGrainStorage"/> instances for DI.</summary>
internal static class ZooKeeperGrainStorageFactory
{
    /// <summary>The provider's name with the host: its own container's name (health check <c>zookeeper:storage:{name}</c>).</summary>
    public static string ProviderName(string storageName) => "storage:" + storageName;

    public static ZooKeeperGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(name);
        var clusterOptions = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var host = services.GetRequiredService<ZooKeeperProviderHost>();
        return new ZooKeeperGrainStorage(
            name,
            clusterOptions.ServiceId,
            options,
            cancellationToken => host.ConnectAsync(ProviderName(name), options, cancellationToken),
            loggerFactory.CreateLogger($"{typeof(ZooKeeperGrainStorage).FullName}.{name}"),
            services,
            services.GetService<IGrainStorageSerializer>(),
            services.GetService<IActivatorProvider>());
    }
}

/// <summary>Fills the serializer when neither code nor configuration chose one: one keyed by the provider's name, else <see cref="ZooKeeperJsonGrainStorageSerializer"/> with the silo's services.</summary>
internal sealed class ZooKeeperGrainStorageSerializerConfigurator(IServiceProvider services) : IPostConfigureOptions<ZooKeeperGrainStorageOptions>
{
    public void PostConfigure(string? name, ZooKeeperGrainStorageOptions options)
    {
        // A SerializerKey that names nothing stays null here, for the validator to report (never silently plain JSON).
        if (options.GrainStorageSerializer is null && options.SerializerKey is null)
        {
            // Plain JSON (the provider stores Orleans' own state types, e.g. pub/sub, through the silo's default serializer).
            options.GrainStorageSerializer = (name is null ? null : services.GetKeyedService<IGrainStorageSerializer>(name))
                ?? new ZooKeeperJsonGrainStorageSerializer(null, services);
        }
    }
}
