using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.ZooKeeper;

/// <summary>
/// Where a provider (grain storage, clustering) gets its container: a container registered in the silo under
/// <c>ContainerName</c> (its session is shared), or a container of the provider's own, resolved from
/// <c>Url</c> / <c>ConfigurationSection</c> / <c>ASAB_ZOOKEEPER_SERVERS</c> exactly like a registered one, with the
/// provider's digest credentials when it has any.
/// </summary>
internal sealed class ZooKeeperContainerSource
{
    private readonly Func<ZooKeeperContainer> _resolve;

    private ZooKeeperContainerSource(Func<ZooKeeperContainer> resolve, bool ownsContainer)
    {
        _resolve = resolve;
        OwnsContainer = ownsContainer;
    }

    /// <summary>True when the provider runs (starts and stops) a container of its own.</summary>
    public bool OwnsContainer { get; }

    /// <summary>
    /// Prepares the source; nothing is resolved or connected yet. <see cref="Resolve"/> gives the container (for an
    /// own container: resolves the target, which may throw <see cref="ZooKeeperConfigurationException"/>).
    /// </summary>
    /// <param name="services">The silo's (or client's) services.</param>
    /// <param name="ownName">The name an own container gets (its logger category and stream key).</param>
    /// <param name="settings">The provider's container settings (read when the container is resolved).</param>
    public static ZooKeeperContainerSource For(IServiceProvider services, string ownName, ZooKeeperProviderContainerOptions settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (settings.ContainerName is { } containerName)
        {
            return new ZooKeeperContainerSource(() => services.GetRequiredService<ZooKeeperContainers>().Get(containerName), ownsContainer: false);
        }

        return new ZooKeeperContainerSource(
            () =>
            {
                var target = ZooKeeperTargetResolver.Resolve(settings.Url, services.GetService<IConfiguration>(), settings.ConfigurationSection);
                var containerOptions = new ZooKeeperContainerOptions { Url = settings.Url, ConfigurationSection = settings.ConfigurationSection };
                if (settings.Username is { } user && settings.Password is { } password)
                {
                    containerOptions.ConfigureClient = c => c.AddDigest(user, password);
                }

                return new ZooKeeperContainer(ownName, target, containerOptions, services.GetRequiredService<ILoggerFactory>(), services);
            },
            ownsContainer: true);
    }

    /// <summary>The container (a new one each call for an own container: call once).</summary>
    public ZooKeeperContainer Resolve() => _resolve();

    /// <summary>
    /// Checks the combination of settings; throws <see cref="OrleansConfigurationException"/> whose message starts
    /// with <paramref name="prefix"/> and names the settings (never the password).
    /// </summary>
    public static void Validate(string prefix, ZooKeeperProviderContainerOptions settings)
    {
        if (settings.ContainerName is not null && (settings.Url is not null || settings.Username is not null || settings.Password is not null))
        {
            throw new OrleansConfigurationException(prefix + $"ContainerName ('{settings.ContainerName}') names an existing container; Url, Username and Password belong to a container of the provider's own and must not be set with it.");
        }

        if (settings.ContainerName is { Length: 0 })
        {
            throw new OrleansConfigurationException(prefix + "ContainerName is empty.");
        }

        if ((settings.Username is null) != (settings.Password is null))
        {
            throw new OrleansConfigurationException(prefix + "Username and Password go together; only one is set.");
        }
    }
}
