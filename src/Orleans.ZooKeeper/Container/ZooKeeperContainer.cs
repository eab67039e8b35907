using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

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
    private readonly Announcer<ZooKeeperContainerStateChanged> _announcer;
    private readonly Dictionary<string, ZooKeeperAdvertisement> _advertisements = new(StringComparer.Ordinal);

    // Work to do when CONNECTED (ensure the base path) and for advertisements: signals coalesce in a one-slot channel
    // and one worker runs them one at a time, so a flapping connection never has two runs in flight.
    private readonly Channel<bool> _work = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _ensurePathPending;
    private int _workRunning;
    private int _workRuns;
    private bool _workOverlapped;
    private SiloAddress? _silo;
    private ZooKeeperContainerState _state = ZooKeeperContainerState.Lost;
    private DateTimeOffset _stateSince = DateTimeOffset.UtcNow;
    private bool _stopped;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _worker;
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

        // States are published from the client's event loop, one at a time: handlers run there, in order. Kept for the
        // Orleans stream from the first one when a stream provider is named (the publisher attaches it at Active).
        _announcer = new(this, ex => ContainerLog.HandlerFailed(_logger, ex, name), inlineHandlers: true, bufferForStream: options.StreamProviderName is not null && services is not null);
        var clientOptions = target.ToClientOptions();
        options.ConfigureClient?.Invoke(clientOptions);

        // Set after ConfigureClient, so by construction: code after an await on this client (storage, clustering, the
        // recipes, user code) never runs on the client's reader thread, where it would hold up every other reply.
        clientOptions.RunContinuationsAsynchronously = true;
        // auth: (the creator's identities) when the session authenticates — digest, SASL, or both.
        NodeAcl = clientOptions.Auth.Count > 0 || clientOptions.Sasl is not null ? Acls.CreatorAll : Acls.OpenUnsafe;
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
    public event EventHandler<ZooKeeperContainerStateChanged>? StateChanged
    {
        add => _announcer.AddHandler(value);
        remove => _announcer.RemoveHandler(value);
    }

    /// <summary>
    /// Every state change from the moment of this call on (the subscription is made here, not at the first
    /// enumeration); ends when the container stops.
    /// </summary>
    public IAsyncEnumerable<ZooKeeperContainerStateChanged> StateChangesAsync(CancellationToken cancellationToken = default)
        => _announcer.Subscribe(cancellationToken);

    /// <summary>The container's announcer (the stream publisher attaches the Orleans stream to it).</summary>
    internal Announcer<ZooKeeperContainerStateChanged> Announcer => _announcer;

    /// <summary>Connects (waiting for the first connection when configured to) and ensures the base path.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _silo ??= _services?.GetService<ILocalSiloDetails>()?.SiloAddress;
        StartBackgroundWork();
        if (!_options.WaitForConnectionOnStartup)
        {
            _ = Client.WaitUntilConnectedAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return;
        }

        try
        {
            await Client.WaitUntilConnectedAsync(_options.StartupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLossException ex) when (Client.EveryServerRefused)
        {
            // Before the timeout: every server refused the connection several rounds in a row (nothing listens there).
            throw new ZooKeeperStartupException($"ZooKeeper container '{Name}' could not connect to {Target}: {ex.Message} (ZooKeeperClientOptions.RefusedRoundsBeforeFailing).", ex);
        }
        catch (AuthFailedException ex)
        {
            // The servers refused the credentials (SASL, or digest on a server that checks them): no retry helps.
            throw new ZooKeeperStartupException($"ZooKeeper container '{Name}' could not connect to {Target}: {ex.Message}", ex);
        }
        catch (ConnectionLossException ex)
        {
            // The last attempt names the server and the cause (refused, TLS, no answer within the connect timeout, ...).
            var last = Client.LastConnectError is { } error ? $" Last connection attempt: {error.Message}" : string.Empty;
            throw new ZooKeeperStartupException($"ZooKeeper container '{Name}' could not connect to {Target} within {_options.StartupTimeout.TotalSeconds:0.#} s (ZooKeeperContainerOptions.StartupTimeout).{last}", ex);
        }

        await Client.EnsurePathAsync(BasePath, NodeAcl, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the session (ephemeral nodes and advertisements vanish at once) and ends the state streams once the
    /// final LOST has been delivered.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (for the close request's reply, the background work and the final events).</param>
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
        _work.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_worker ?? Task.CompletedTask, _advertisementChecks ?? Task.CompletedTask).WaitAsync(cancellationToken).ConfigureAwait(false);
            await Client.CloseAsync(cancellationToken).ConfigureAwait(false);

            // The client posts its final LOST (Closed) to its event loop before CloseAsync completes: once everything
            // posted so far has been delivered, the container has seen it and the state streams can end.
            await Client.WhenEventsDeliveredAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _announcer.CompleteAsync(TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // Connect early so grain storage (ApplicationServices) finds the container connected; close late, after grains deactivated.
        lifecycle.Subscribe($"{nameof(ZooKeeperContainer)}.{Name}", ServiceLifecycleStage.RuntimeInitialize, StartAsync, StopAsync);

        // The Orleans stream of states is a participant of its own, there only when a stream provider is named.
        if (_options.StreamProviderName is { } provider && _services is not null)
        {
            new ZooKeeperContainerStatePublisher(this, provider, _services, _logger).Participate(lifecycle);
        }
    }

    /// <summary>How many times the CONNECTED / advertisement work has run (tests).</summary>
    internal int WorkRuns => Volatile.Read(ref _workRuns);

    /// <summary>True if two runs of that work were ever in flight at once: never, by construction (tests).</summary>
    internal bool WorkOverlapped => Volatile.Read(ref _workOverlapped);

    private void OnClientStateChanged(object? sender, ConnectionStateChange change)
    {
        var state = change.State switch
        {
            ConnectionState.Connected => ZooKeeperContainerState.Connected,
            ConnectionState.Suspended => ZooKeeperContainerState.Suspended,
            _ => ZooKeeperContainerState.Lost,
        };
        var evt = new ZooKeeperContainerStateChanged(Name, state, _silo, change.SessionId, change.Server, change.Timestamp);
        lock (_lock)
        {
            if (_state != state)
            {
                _stateSince = change.Timestamp;
            }

            _state = state;
        }

        ContainerLog.State(_logger, Name, evt.Name);
        _announcer.Publish(evt); // on the client's event loop: in order
        if (state == ZooKeeperContainerState.Connected)
        {
            Volatile.Write(ref _ensurePathPending, 1);
            _work.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// Starts the worker that runs the CONNECTED work (ensure the base path, re-check advertisements) and the periodic
    /// advertisement check every <see cref="ZooKeeperContainerOptions.AdvertisementCheckInterval"/>, which only
    /// signals the worker.
    /// </summary>
    private void StartBackgroundWork()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _worker ??= Task.Run(() => WorkLoopAsync(_stopping.Token), CancellationToken.None);
            var interval = _options.AdvertisementCheckInterval;
            if (interval > TimeSpan.Zero && interval != Timeout.InfiniteTimeSpan)
            {
                _advertisementChecks ??= Task.Run(() => AdvertisementTimerAsync(interval, _stopping.Token), CancellationToken.None);
            }
        }
    }

    private async Task AdvertisementTimerAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                _work.Writer.TryWrite(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>One run at a time; signals that arrive meanwhile coalesce into one more run.</summary>
    private async Task WorkLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _work.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _work.Reader.TryRead(out _);
                if (State != ZooKeeperContainerState.Connected)
                {
                    continue; // the next CONNECTED signals again
                }

                if (Interlocked.Increment(ref _workRunning) > 1)
                {
                    Volatile.Write(ref _workOverlapped, true); // never, by construction (tests check)
                }

                Interlocked.Increment(ref _workRuns);
                try
                {
                    await RunWorkAsync(Interlocked.Exchange(ref _ensurePathPending, 0) == 1, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _workRunning);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RunWorkAsync(bool ensurePath, CancellationToken cancellationToken)
    {
        if (ensurePath)
        {
            try
            {
                await Client.EnsurePathAsync(BasePath, NodeAcl, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
            {
                ContainerLog.EnsurePathFailed(_logger, ex, Name, BasePath);
            }
        }

        List<ZooKeeperAdvertisement> advertisements;
        lock (_lock)
        {
            advertisements = [.. _advertisements.Values];
        }

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

    /// <summary>Stops the container (see <see cref="StopAsync"/>) and releases the client.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
    }
}
