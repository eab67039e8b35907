using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Client.Session;

namespace Orleans.ZooKeeper;

/// <summary>
/// One connection to one ZooKeeper ensemble with a base path, as a silo component (or stand-alone from code).
/// Several can live in one silo, each with its own session and state. Exposes the full <see cref="Client"/> plus
/// small helpers that work relative to <see cref="BasePath"/>, and reports CONNECTED / SUSPENDED / LOST in process
/// (<see cref="StateChanged"/>, <see cref="StateChangesAsync"/>) and, when a stream provider is named, on an
/// Orleans stream (<see cref="ZooKeeperContainerStates.StreamIdFor"/>).
/// </summary>
public sealed partial class ZooKeeperContainer : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly ZooKeeperContainerOptions _options;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly object _lock = new();
    private readonly StateBroadcast<ZooKeeperContainerStateChanged> _subscribers = new();
    private readonly StreamOutbox<ZooKeeperContainerStateChanged> _outbox = new();
    private readonly Dictionary<string, ZooKeeperAdvertisement> _advertisements = new(StringComparer.Ordinal);
    private SiloAddress? _silo;
    private ZooKeeperContainerState _state = ZooKeeperContainerState.Lost;
    private DateTimeOffset _stateSince = DateTimeOffset.UtcNow;
    private bool _stopped;
    private readonly TaskCompletionSource _finalLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _advertisementChecks;

    /// <summary>Creates a container for an already resolved target (no DI needed).</summary>
    /// <param name="name">The container's name (its stream key).</param>
    /// <param name="target">Where it points.</param>
    /// <param name="options">Options; <see cref="ZooKeeperContainerOptions.Url"/> is ignored here.</param>
    /// <param name="loggerFactory">Logging.</param>
    public ZooKeeperContainer(string name, ZooKeeperTarget target, ZooKeeperContainerOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(name, target, options ?? new ZooKeeperContainerOptions(), loggerFactory ?? NullLoggerFactory.Instance, null)
    {
    }

    internal ZooKeeperContainer(string name, ZooKeeperTarget target, ZooKeeperContainerOptions options, ILoggerFactory loggerFactory, IServiceProvider? services)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(target);
        Name = name;
        Target = target;
        _options = options;
        _services = services;
        _logger = loggerFactory.CreateLogger($"{typeof(ZooKeeperContainer).FullName}.{name}");
        var clientOptions = target.ToClientOptions();
        clientOptions.RunContinuationsAsynchronously = true; // silo code after an await never runs on the reader thread
        options.ConfigureClient?.Invoke(clientOptions);
        NodeAcl = clientOptions.Auth.Count > 0 ? Acls.CreatorAll : Acls.OpenUnsafe;
        Client = new ZooKeeperClient(clientOptions, loggerFactory.CreateLogger<ZooKeeperClient>());
        Client.StateChanged += OnClientStateChanged;
        ContainerLog.Target(_logger, name, target.ToString());
    }

    /// <summary>
    /// Creates a container from a URL and/or a configuration section and the environment
    /// (precedence: URL, section, <c>ASAB_ZOOKEEPER_SERVERS</c>).
    /// </summary>
    public static ZooKeeperContainer Create(string name, string? url = null, IConfiguration? configuration = null, string configurationSection = ZooKeeperTargetResolver.DefaultSectionName, ILoggerFactory? loggerFactory = null)
        => new(name, ZooKeeperTargetResolver.Resolve(url, configuration, configurationSection), new ZooKeeperContainerOptions { Url = url, ConfigurationSection = configurationSection }, loggerFactory);

    /// <summary>
    /// The ACL for nodes the container (and storage through it) creates: only the session's own identities when it
    /// has credentials, else open.
    /// </summary>
    internal IReadOnlyList<Acl> NodeAcl { get; }

    /// <summary>The container's name.</summary>
    public string Name { get; }

    /// <summary>The resolved servers, path and credentials.</summary>
    public ZooKeeperTarget Target { get; }

    /// <summary>The container's base znode path; ensured to exist whenever the container becomes CONNECTED.</summary>
    public string BasePath => Target.Path;

    /// <summary>The client, for anything the helpers do not cover (ephemeral, sequential, transactions, watches, ...). Paths are absolute.</summary>
    public ZooKeeperClient Client { get; }

    /// <summary>The current state. Starts <see cref="ZooKeeperContainerState.Lost"/>.</summary>
    public ZooKeeperContainerState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>When the container entered its current <see cref="State"/> (its creation for the initial LOST).</summary>
    public DateTimeOffset StateSince
    {
        get
        {
            lock (_lock)
            {
                return _stateSince;
            }
        }
    }

    /// <summary>Raised on every state change, in order.</summary>
    public event EventHandler<ZooKeeperContainerStateChanged>? StateChanged;

    /// <summary>
    /// Every state change from the moment of this call on (the subscription is made here, not at the first
    /// enumeration); ends when the container stops.
    /// </summary>
    public IAsyncEnumerable<ZooKeeperContainerStateChanged> StateChangesAsync(CancellationToken cancellationToken = default)
        => _subscribers.Subscribe(cancellationToken);

    /// <summary>Connects (waiting for the first connection when configured to) and ensures the base path.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_services is not null)
        {
            _silo = _services.GetService<ILocalSiloDetails>()?.SiloAddress;
            if (_options.StreamProviderName is { } provider && _services.GetKeyedService<IStreamProvider>(provider) is null)
            {
                throw new InvalidOperationException(
                    $"ZooKeeper container '{Name}' publishes its state on the Orleans stream provider '{provider}', but no stream provider of that name is registered. " +
                    $"Add one to the silo, e.g. siloBuilder.AddMemoryStreams(\"{provider}\") with a grain storage named \"PubSubStore\" (siloBuilder.AddMemoryGrainStorage(\"PubSubStore\")), " +
                    "or leave ZooKeeperContainerOptions.StreamProviderName unset for in-process state events only.");
            }
        }

        StartAdvertisementChecks();
        if (!_options.WaitForConnectionOnStartup)
        {
            _ = Client.WaitUntilConnectedAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return;
        }

        try
        {
            await Client.WaitUntilConnectedAsync(_options.StartupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLossException ex)
        {
            // The last attempt names the server and the cause (refused, TLS, no answer within the connect timeout, ...).
            var last = Client.LastConnectError is { } error ? $" Last connection attempt: {error.Message}" : string.Empty;
            throw new InvalidOperationException($"ZooKeeper container '{Name}' could not connect to {Target} within {_options.StartupTimeout.TotalSeconds:0.#} s (ZooKeeperContainerOptions.StartupTimeout).{last}", ex);
        }

        await Client.EnsurePathAsync(BasePath, NodeAcl, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts publishing states on the configured stream provider (states seen before are published first, in order).</summary>
    public Task StartPublishingAsync(CancellationToken cancellationToken = default)
    {
        if (_options.StreamProviderName is not { } providerName || _services is null)
        {
            return Task.CompletedTask;
        }

        var provider = _services.GetRequiredKeyedService<IStreamProvider>(providerName);
        _outbox.Start(provider, ZooKeeperContainerStates.StreamIdFor(Name), (ex, change) => ContainerLog.PublishFailed(_logger, ex, Name, change.Name, providerName));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops publishing on the Orleans stream (the silo is leaving). Later states, such as the LOST on close, are
    /// still raised in process.
    /// </summary>
    public Task StopPublishingAsync(CancellationToken cancellationToken = default)
    {
        _outbox.StopPublishing();
        return Task.CompletedTask;
    }

    /// <summary>Closes the session (ephemeral nodes and advertisements vanish at once) and ends the state streams.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_advertisementChecks is { } checks)
        {
            await checks.ConfigureAwait(false);
        }

        await Client.CloseAsync(cancellationToken).ConfigureAwait(false);
        if (Client.SessionId != 0 || State != ZooKeeperContainerState.Lost)
        {
            // The client's final LOST is delivered on its event loop: let it through before ending the streams.
            await Task.WhenAny(_finalLost.Task, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        }

        // Let the final LOST reach the stream, but never hang shutdown on it.
        await _outbox.CompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);

        _subscribers.Complete();
    }

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // Connect early so grain storage (ApplicationServices) finds the container connected; close late, after grains deactivated.
        lifecycle.Subscribe($"{nameof(ZooKeeperContainer)}.{Name}", ServiceLifecycleStage.RuntimeInitialize, StartAsync, StopAsync);
        lifecycle.Subscribe($"{nameof(ZooKeeperContainer)}.{Name}.state", ServiceLifecycleStage.Active, StartPublishingAsync, StopPublishingAsync);
    }

    private void OnClientStateChanged(object? sender, ConnectionStateChange change)
    {
        var state = change.State switch
        {
            ConnectionState.Connected => ZooKeeperContainerState.Connected,
            ConnectionState.Suspended => ZooKeeperContainerState.Suspended,
            _ => ZooKeeperContainerState.Lost,
        };
        var evt = new ZooKeeperContainerStateChanged(Name, state, _silo, change.SessionId, change.Server, change.Timestamp);
        List<ZooKeeperAdvertisement> advertisements;
        lock (_lock)
        {
            if (_state != state)
            {
                _stateSince = change.Timestamp;
            }

            _state = state;
            _subscribers.Publish(evt);

            advertisements = [.. _advertisements.Values];
        }

        ContainerLog.State(_logger, Name, evt.Name);
        _outbox.Post(evt);
        if (change.KeeperState == KeeperState.Closed)
        {
            _finalLost.TrySetResult();
        }

        try
        {
            StateChanged?.Invoke(this, evt);
        }
        finally
        {
            if (state == ZooKeeperContainerState.Connected)
            {
                _ = Task.Run(() => OnConnectedAsync(advertisements));
            }
        }
    }

    /// <summary>Re-checks advertisements every <see cref="ZooKeeperContainerOptions.AdvertisementCheckInterval"/> until the container stops.</summary>
    private void StartAdvertisementChecks()
    {
        var interval = _options.AdvertisementCheckInterval;
        if (interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        lock (_lock)
        {
            _advertisementChecks ??= Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                try
                {
                    while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
                    {
                        if (State != ZooKeeperContainerState.Connected)
                        {
                            continue; // CONNECTED checks them anyway
                        }

                        List<ZooKeeperAdvertisement> advertisements;
                        lock (_lock)
                        {
                            advertisements = [.. _advertisements.Values];
                        }

                        await EnsureAdvertisementsAsync(advertisements, _stopping.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }, CancellationToken.None);
        }
    }

    private async Task EnsureAdvertisementsAsync(List<ZooKeeperAdvertisement> advertisements, CancellationToken cancellationToken)
    {
        foreach (var advertisement in advertisements)
        {
            try
            {
                await advertisement.EnsureAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
            {
                ContainerLog.AdvertiseFailed(_logger, ex, Name, advertisement.Prefix);
            }
        }
    }

    private async Task OnConnectedAsync(List<ZooKeeperAdvertisement> advertisements)
    {
        try
        {
            await Client.EnsurePathAsync(BasePath, NodeAcl).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            ContainerLog.EnsurePathFailed(_logger, ex, Name, BasePath);
        }

        await EnsureAdvertisementsAsync(advertisements, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops the container (see <see cref="StopAsync"/>) and releases the client.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
    }
}
