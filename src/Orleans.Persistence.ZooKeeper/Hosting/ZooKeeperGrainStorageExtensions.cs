using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Persistence.ZooKeeper;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;

namespace Orleans.Hosting;

/// <summary>Registers ZooKeeper grain storage.</summary>
public static class ZooKeeperGrainStorageExtensions
{
    /// <summary>Adds a ZooKeeper grain storage provider: <c>[PersistentState("x", name)]</c> then stores in ZooKeeper.</summary>
    public static ISiloBuilder AddZooKeeperGrainStorage(this ISiloBuilder builder, string name, Action<ZooKeeperGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperGrainStorage(name, ob => ob.Configure(o => configure?.Invoke(o)));
        return builder;
    }

    /// <summary>Adds a ZooKeeper grain storage provider configured through an options builder.</summary>
    public static ISiloBuilder AddZooKeeperGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<ZooKeeperGrainStorageOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperGrainStorage(name, configureOptions);
        return builder;
    }

    /// <summary>Adds ZooKeeper grain storage as the default provider.</summary>
    public static ISiloBuilder AddZooKeeperGrainStorageAsDefault(this ISiloBuilder builder, Action<ZooKeeperGrainStorageOptions>? configure = null)
        => builder.AddZooKeeperGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    /// <summary>Adds ZooKeeper grain storage as the default provider.</summary>
    public static IServiceCollection AddZooKeeperGrainStorageAsDefault(this IServiceCollection services, Action<ZooKeeperGrainStorageOptions>? configure = null)
        => services.AddZooKeeperGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, ob => ob.Configure(o => configure?.Invoke(o)));

    /// <summary>Adds a ZooKeeper grain storage provider.</summary>
    public static IServiceCollection AddZooKeeperGrainStorage(this IServiceCollection services, string name, Action<ZooKeeperGrainStorageOptions> configure)
        => services.AddZooKeeperGrainStorage(name, ob => ob.Configure(configure));

    /// <summary>Adds a ZooKeeper grain storage provider configured through an options builder.</summary>
    public static IServiceCollection AddZooKeeperGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<ZooKeeperGrainStorageOptions>>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        configureOptions?.Invoke(services.AddOptions<ZooKeeperGrainStorageOptions>(name));
        // The collection itself goes along so that the validator can list the keyed serializers that are registered.
        services.AddTransient<IConfigurationValidator>(sp => new ZooKeeperGrainStorageOptionsValidator(sp.GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(name), name, sp, services));
        services.AddTransient<IPostConfigureOptions<ZooKeeperGrainStorageOptions>, ZooKeeperGrainStorageSerializerConfigurator>();
        services.ConfigureNamedOptionForLogging<ZooKeeperGrainStorageOptions>(name);

        // Storage errors travel back to the caller of the grain: without this, Orleans cannot serialize
        // ZooKeeperStorageException (nor the client library's exceptions inside it) and the caller gets a
        // CodecNotFoundException instead of the message. Orleans' generic exception codec then carries type name,
        // message, stack and inner exception (a receiver that cannot load the type gets the message in an
        // UnavailableExceptionFallbackException).
        services.AddZooKeeperExceptionSerialization("Orleans.Persistence.ZooKeeper");
        // Its connection comes from the provider host, which also lists its own container (health checks).
        services.AddZooKeeperProvider(ZooKeeperGrainStorageFactory.ProviderName(name), sp => sp.GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(name));
        return services.AddGrainStorage(name, ZooKeeperGrainStorageFactory.Create);
    }
}
