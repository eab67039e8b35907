using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
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
        Func<ZooKeeperContainer> container;
        var owns = options.ContainerName is null;
        if (options.ContainerName is { } containerName)
        {
            // The options validator reports an unknown name before the silo starts; this is for hosts that skip it.
            container = () => ZooKeeperGrainStorageOptionsValidator.UnknownContainerError(name, options, services) is { } error
                ? throw new OrleansConfigurationException(error)
                : services.GetRequiredService<ZooKeeperContainers>().Get(containerName);
        }
        else
        {
            container = () =>
            {
                var target = ZooKeeperTargetResolver.Resolve(options.Url, services.GetService<IConfiguration>(), options.ConfigurationSection);
                var containerOptions = new ZooKeeperContainerOptions { Url = options.Url, ConfigurationSection = options.ConfigurationSection };
                if (options.Username is { } user && options.Password is { } password)
                {
                    containerOptions.ConfigureClient = c => c.AddDigest(user, password);
                }

                return new ZooKeeperContainer($"storage:{name}", target, containerOptions, loggerFactory, services);
            };
        }

        return new ZooKeeperGrainStorage(name, clusterOptions.ServiceId, options, container, owns, loggerFactory.CreateLogger($"{typeof(ZooKeeperGrainStorage).FullName}.{name}"));
    }
}

/// <summary>Fills the serializer when neither code nor configuration chose one: one keyed by the provider's name, else plain JSON.</summary>
internal sealed class ZooKeeperGrainStorageSerializerConfigurator(IServiceProvider services) : IPostConfigureOptions<ZooKeeperGrainStorageOptions>
{
    public void PostConfigure(string? name, ZooKeeperGrainStorageOptions options)
    {
        // A SerializerKey that names nothing stays null here, for the validator to report (never silently plain JSON).
        if (options.GrainStorageSerializer is null && options.SerializerKey is null)
        {
            // Plain JSON for application state; Orleans' own state types (pub/sub) go through the silo's default serializer.
            options.GrainStorageSerializer = (name is null ? null : services.GetKeyedService<IGrainStorageSerializer>(name))
                ?? new ZooKeeperJsonGrainStorageSerializer(ZooKeeperJsonGrainStorageSerializer.DefaultOptions(), services.GetService<IGrainStorageSerializer>());
        }
    }
}
