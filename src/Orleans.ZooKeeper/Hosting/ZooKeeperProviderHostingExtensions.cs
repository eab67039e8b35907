using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Plugs a provider into the <see cref="ZooKeeperProviderHost"/>.</summary>
public static class ZooKeeperProviderHostingExtensions
{
    /// <summary>
    /// Registers <paramref name="provider"/> with the host's <see cref="ZooKeeperProviderHost"/> (added once): the
    /// host then knows its own container's name before anything connects (health checks list it), and the provider
    /// gets its connection with <see cref="ZooKeeperProviderHost.ConnectAsync"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="provider">The provider's name, e.g. <c>storage:zookeeper</c>: its own container's name.</param>
    /// <param name="settings">Reads the provider's container settings (its options).</param>
    public static IServiceCollection AddZooKeeperProvider(this IServiceCollection services, string provider, Func<IServiceProvider, ZooKeeperProviderContainerOptions> settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddZooKeeperProviderHost();
        services.AddSingleton(new ZooKeeperProviderRegistration(provider, settings));
        return services;
    }

    /// <summary>
    /// Lets Orleans serialize the provider's exceptions (and the client's and containers' inside them) back to the grain
    /// that called it: without this the caller gets a CodecNotFoundException instead of the message. Orleans' generic
    /// exception codec then carries type name, message, stack and inner exception.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="providerNamespace">The namespace of the provider's exceptions, e.g. <c>Orleans.Reminders.ZooKeeper</c>.</param>
    public static IServiceCollection AddZooKeeperExceptionSerialization(this IServiceCollection services, string providerNamespace)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(providerNamespace);
        services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(o =>
        {
            foreach (var prefix in new[] { providerNamespace, "Orleans.ZooKeeper" })
            {
                if (!o.SupportedNamespacePrefixes.Contains(prefix))
                {
                    o.SupportedNamespacePrefixes.Add(prefix);
                }
            }
        });
        return services;
    }

    /// <summary>Adds the <see cref="ZooKeeperProviderHost"/> (once).</summary>
    public static IServiceCollection AddZooKeeperProviderHost(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ZooKeeperContainers>();
        services.TryAddSingleton<ZooKeeperProviderHost>();
        return services;
    }
}
