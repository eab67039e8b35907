using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.ZooKeeper;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>Builds <see cref="ZooKeeperGrainStorage"/> instances for DI.</summary>
internal static class ZooKeeperGrainStorageFactory
{
    public static ZooKeeperGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(name);
        var clusterOptions = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var source = ZooKeeperContainerSource.For(services, $"storage:{name}", options);
        return new ZooKeeperGrainStorage(name, clusterOptions.ServiceId, options, source.Resolve, source.OwnsContainer, loggerFactory.CreateLogger($"{typeof(ZooKeeperGrainStorage).FullName}.{name}"));
    }
}

/// <summary>Fills the serializer: one keyed by the provider's name, else plain JSON.</summary>
internal sealed class ZooKeeperGrainStorageSerializerConfigurator(IServiceProvider services) : IPostConfigureOptions<ZooKeeperGrainStorageOptions>
{
    public void PostConfigure(string? name, ZooKeeperGrainStorageOptions options)
    {
        if (options.GrainStorageSerializer is null)
        {
            // Plain JSON for application state; Orleans' own state types (pub/sub) go through the silo's default serializer.
            options.GrainStorageSerializer = (name is null ? null : services.GetKeyedService<IGrainStorageSerializer>(name))
                ?? new ZooKeeperJsonGrainStorageSerializer(ZooKeeperJsonGrainStorageSerializer.DefaultOptions(), services.GetService<IGrainStorageSerializer>());
        }
    }
}
