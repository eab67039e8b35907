using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.GrainDirectory.ZooKeeper;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Keeps grain directories in ZooKeeper.</summary>
public static class ZooKeeperGrainDirectoryExtensions
{
    /// <summary>
    /// Adds a grain directory named <paramref name="name"/> in ZooKeeper; grain classes marked
    /// <c>[GrainDirectory("name")]</c> keep their activations there.
    /// </summary>
    public static ISiloBuilder AddZooKeeperGrainDirectory(this ISiloBuilder builder, string name, Action<ZooKeeperGrainDirectoryOptions>? configure = null)
        => builder.AddZooKeeperGrainDirectory(name, ob => ob.Configure(o => configure?.Invoke(o)));

    /// <summary>Adds a grain directory named <paramref name="name"/> in ZooKeeper, configured through an options builder.</summary>
    public static ISiloBuilder AddZooKeeperGrainDirectory(this ISiloBuilder builder, string name, Action<OptionsBuilder<ZooKeeperGrainDirectoryOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperGrainDirectory(name, configureOptions);
        return builder;
    }

    /// <summary>Makes a ZooKeeper grain directory the default for every grain type (Orleans' <c>default</c> directory).</summary>
    public static ISiloBuilder UseZooKeeperGrainDirectoryAsDefault(this ISiloBuilder builder, Action<ZooKeeperGrainDirectoryOptions>? configure = null)
        => builder.AddZooKeeperGrainDirectory(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY, configure);

    /// <summary>Makes a ZooKeeper grain directory the default for every grain type, configured through an options builder.</summary>
    public static ISiloBuilder UseZooKeeperGrainDirectoryAsDefault(this ISiloBuilder builder, Action<OptionsBuilder<ZooKeeperGrainDirectoryOptions>> configureOptions)
        => builder.AddZooKeeperGrainDirectory(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY, configureOptions);

    /// <summary>Adds a grain directory named <paramref name="name"/> in ZooKeeper (services form).</summary>
    public static IServiceCollection AddZooKeeperGrainDirectory(this IServiceCollection services, string name, Action<OptionsBuilder<ZooKeeperGrainDirectoryOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configureOptions);
        configureOptions(services.AddOptions<ZooKeeperGrainDirectoryOptions>(name));
        services.AddTransient<IConfigurationValidator>(sp => new ZooKeeperGrainDirectoryOptionsValidator(sp.GetRequiredService<IOptionsMonitor<ZooKeeperGrainDirectoryOptions>>().Get(name), name));
        services.ConfigureNamedOptionForLogging<ZooKeeperGrainDirectoryOptions>(name);
        services.AddZooKeeperProvider(ZooKeeperGrainDirectory.ProviderName(name), sp => sp.GetRequiredService<IOptionsMonitor<ZooKeeperGrainDirectoryOptions>>().Get(name));
        services.AddGrainDirectory(name, static (sp, key) => new ZooKeeperGrainDirectory(
            key,
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId,
            sp.GetRequiredService<IOptionsMonitor<ZooKeeperGrainDirectoryOptions>>().Get(key),
            sp.GetRequiredService<ZooKeeperProviderHost>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger($"{typeof(ZooKeeperGrainDirectory).FullName}.{key}")));
        services.AddZooKeeperExceptionSerialization("Orleans.GrainDirectory.ZooKeeper");
        return services;
    }
}
