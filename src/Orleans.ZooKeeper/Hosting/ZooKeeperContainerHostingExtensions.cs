using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Registers <see cref="ZooKeeperContainer"/>s in a silo.</summary>
public static class ZooKeeperContainerHostingExtensions
{
    /// <summary>
    /// Adds a named container: <c>siloBuilder.AddZooKeeperContainer("main", "zookeeper:///app")</c>. Resolve it with
    /// <c>services.GetRequiredKeyedService&lt;ZooKeeperContainer&gt;("main")</c> or <see cref="ZooKeeperContainers"/>.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The container's name (its state stream key).</param>
    /// <param name="url">The URL (see <see cref="ZooKeeperContainerOptions.Url"/>); null for configuration + environment only.</param>
    /// <param name="streamProviderName">The stream provider that broadcasts the states; null for none.</param>
    /// <param name="configure">More options.</param>
    public static ISiloBuilder AddZooKeeperContainer(this ISiloBuilder builder, string name, string? url = null, string? streamProviderName = null, Action<ZooKeeperContainerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperContainer(name, options =>
        {
            options.Url = url ?? options.Url;
            options.StreamProviderName = streamProviderName ?? options.StreamProviderName;
            configure?.Invoke(options);
        });
        return builder;
    }

    /// <summary>Adds a named container with options.</summary>
    public static IServiceCollection AddZooKeeperContainer(this IServiceCollection services, string name, Action<ZooKeeperContainerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ZooKeeperContainerOptions>(name).Configure(configure);
        services.AddZooKeeperProviderHost();
        services.AddKeyedSingleton(name, static (sp, key) =>
        {
            var containerName = (string)key!;
            var options = sp.GetRequiredService<IOptionsMonitor<ZooKeeperContainerOptions>>().Get(containerName);
            var target = ZooKeeperTargetResolver.Resolve(options.Url, sp.GetService<IConfiguration>(), options.ConfigurationSection);
            return new ZooKeeperContainer(containerName, target, options, sp.GetRequiredService<ILoggerFactory>(), sp);
        });
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredKeyedService<ZooKeeperContainer>(name));
        services.AddSingleton(new ZooKeeperContainerRegistration(name));
        return services;
    }
}

/// <summary>Marks a registered container name (used by <see cref="ZooKeeperContainers"/>).</summary>
/// <param name="Name">The container name.</param>
public sealed record ZooKeeperContainerRegistration(string Name);
