using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.ZooKeeper;

/// <summary>
/// The one owner of a host's ZooKeeper containers: the named ones (<c>AddZooKeeperContainer</c>) and the ones
/// providers run for themselves (from their <c>Url</c> / configuration section / <c>ASAB_ZOOKEEPER_SERVERS</c>). A
/// provider asks it for a ready <see cref="ZooKeeperConnection"/> and never decides ownership itself; health checks
/// and other host-wide features list every container through it.
/// </summary>
/// <remarks>
/// A named container is shared: its lifecycle is its own (a silo starts and stops it; on a client, the first provider
/// that needs it starts it). A provider's own container is keyed by the provider's name: the first
/// <see cref="ConnectAsync"/> resolves, creates and starts it, later ones (e.g. the membership table and the gateway
/// list of one client) share it, and the last connection disposed closes it. Whatever is still open when the host is
/// disposed (the DI container ends) is closed then.
/// </remarks>
public sealed class ZooKeeperProviderHost : IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly IReadOnlyList<ZooKeeperContainerRegistration> _named;
    private readonly IReadOnlyList<ZooKeeperProviderRegistration> _providers;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Own> _own = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Created by DI (see <c>AddZooKeeperProvider</c>).</summary>
    public ZooKeeperProviderHost(IServiceProvider services, IEnumerable<ZooKeeperContainerRegistration> named, IEnumerable<ZooKeeperProviderRegistration> providers)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _named = named.DistinctBy(n => n.Name).ToArray();
        _providers = providers.DistinctBy(p => p.Provider).ToArray();
    }

    /// <summary>
    /// The name of every container the host runs or will run: the named ones, then each registered provider's own
    /// (providers that use a named container add none). Known before anything connects.
    /// </summary>
    public IReadOnlyList<string> ContainerNames
        => _named.Select(n => n.Name)
            .Concat(_providers.Where(p => p.Settings(_services).ContainerName is null).Select(p => p.Provider))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Every container that exists now: the named ones, and the providers' own that are open.</summary>
    public IReadOnlyList<ZooKeeperContainer> Containers
    {
        get
        {
            var named = _named.Select(n => _services.GetRequiredKeyedService<ZooKeeperContainer>(n.Name));
            lock (_own)
            {
                return named.Concat(_own.Values.Select(o => o.Container)).ToArray();
            }
        }
    }

    /// <summary>The container called <paramref name="name"/> if it exists now (a provider's own exists while it is connected), else null.</summary>
    public ZooKeeperContainer? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_named.Any(n => n.Name == name))
        {
            return _services.GetRequiredKeyedService<ZooKeeperContainer>(name);
        }

        lock (_own)
        {
            return _own.TryGetValue(name, out var own) ? own.Container : null;
        }
    }

    /// <summary>
    /// A ready connection for <paramref name="provider"/>: through the container <paramref name="settings"/> names
    /// (<see cref="ZooKeeperProviderContainerOptions.ContainerName"/>), else through the provider's own container,
    /// resolved from its settings and started (shared by every connection of that provider name).
    /// </summary>
    /// <param name="provider">The provider's name, e.g. <c>storage:zookeeper</c>: its own container's name.</param>
    /// <param name="settings">Where its nodes live.</param>
    /// <param name="cancellationToken">Stops waiting for the first connection.</param>
    /// <exception cref="OrleansConfigurationException">The settings name a container that is not registered, or do not fit together.</exception>
    /// <exception cref="ZooKeeperConfigurationException">The own container's target cannot be resolved.</exception>
    public async Task<ZooKeeperConnection> ConnectAsync(string provider, ZooKeeperProviderContainerOptions settings, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(settings);
        settings.ValidateContainerSettings($"ZooKeeper provider '{provider}': ");
        if (settings.ContainerName is { } name)
        {
            var container = Named(provider, name);
            if (container.State != ZooKeeperContainerState.Connected)
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false); // on a client nothing else starts it
            }

            return new ZooKeeperConnection(this, provider, container, own: false);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_own)
            {
                if (_own.TryGetValue(provider, out var shared))
                {
                    shared.Connections++;
                    return new ZooKeeperConnection(this, provider, shared.Container, own: true);
                }
            }

            var container = CreateOwn(provider, settings);
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await container.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            lock (_own)
            {
                _own[provider] = new Own(container) { Connections = 1 };
            }

            return new ZooKeeperConnection(this, provider, container, own: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the providers' own containers that are still open.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            List<Own> open;
            lock (_own)
            {
                open = [.. _own.Values];
                _own.Clear();
            }

            foreach (var own in open)
            {
                await own.Container.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A connection came back: the last one of a provider's own container closes it.</summary>
    internal async ValueTask ReleaseAsync(ZooKeeperConnection connection)
    {
        if (!connection.IsOwn)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_own)
            {
                if (!_own.TryGetValue(connection.Provider, out var own) || own.Container != connection.Container || --own.Connections > 0)
                {
                    return;
                }

                _own.Remove(connection.Provider);
            }

            await connection.Container.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private ZooKeeperContainer Named(string provider, string name)
    {
        if (_named.All(n => n.Name != name))
        {
            var known = _named.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", _named.Select(n => "'" + n.Name + "'"));
            throw new OrleansConfigurationException(
                $"ZooKeeper provider '{provider}': ContainerName '{name}' names no registered ZooKeeper container ({known}). " +
                $"Add it with siloBuilder.AddZooKeeperContainer(\"{name}\", ...), or set Url instead of ContainerName for a container of the provider's own.");
        }

        return _services.GetRequiredKeyedService<ZooKeeperContainer>(name);
    }

    private ZooKeeperContainer CreateOwn(string provider, ZooKeeperProviderContainerOptions settings)
    {
        var target = ZooKeeperTargetResolver.Resolve(settings.Url, _services.GetService<IConfiguration>(), settings.ConfigurationSection);
        var options = new ZooKeeperContainerOptions { Url = settings.Url, ConfigurationSection = settings.ConfigurationSection };
        if (settings.Username is { } user && settings.Password is { } password)
        {
            options.ConfigureClient = c => c.AddDigest(user, password);
        }

        return new ZooKeeperContainer(provider, target, options, _services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, _services);
    }

    private sealed class Own(ZooKeeperContainer container)
    {
        public ZooKeeperContainer Container { get; } = container;

        public int Connections { get; set; }
    }
}

/// <summary>
/// A provider that gets its connection from the <see cref="ZooKeeperProviderHost"/>, registered with
/// <c>services.AddZooKeeperProvider(...)</c>: its name (its own container's name) and how to read its settings.
/// </summary>
/// <param name="Provider">The provider's name, e.g. <c>storage:zookeeper</c>.</param>
/// <param name="Settings">Reads the provider's container settings from the host's services.</param>
public sealed record ZooKeeperProviderRegistration(string Provider, Func<IServiceProvider, ZooKeeperProviderContainerOptions> Settings);
