using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client.Diagnostics;
using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Transport;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// The session behind <see cref="ZooKeeperClient"/>: the state machine (kazoo's LOST / CONNECTED / SUSPENDED), the
/// request pipeline (one FIFO in issue order), the send thread that connects, primes each new connection and writes,
/// and the heartbeat timer. Connections come and go under it; the session id, credentials, watches and queued
/// requests carry over.
/// </summary>
internal sealed partial class ZooKeeperSession : IConnectionEvents, ISessionGauges, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ServerList _servers;
    private readonly TransportConnector _connector;
    private readonly ConnectionContext _context;
    private readonly RequestPipeline _pipeline;
    private readonly SessionTimer _timer;
    private readonly Shared.Subscribers<ConnectionStateChange> _stateSubscribers = new();
    private readonly object _stateLock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _sendLoopExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Connection? _current;
    private volatile bool _started;
    private volatile SessionIdLabel? _sessionIdText;
    private Task? _closeTask;

    public ZooKeeperSession(ZooKeeperClientOptions options, ILogger logger)
    {
        options.Validate();
        Options = options.Clone();
        _logger = logger;
        ConnectString = ConnectionString.Parse(Options.ConnectString);
        _servers = new ServerList(ConnectString.Servers, Options.ShuffleServers);
        _connector = new TransportConnector(Options.Tls);
        Watches = new WatchManager();
        Dispatcher = new EventDispatcher(logger);
        _context = new ConnectionContext(new Chroot(ConnectString.Chroot), Options.MaxPacketSize, Watches, Dispatcher, logger);
        _pipeline = new RequestPipeline(_context, QueueTimeout, Options.Auth);
        _timer = new SessionTimer(OnTimer);
    }

    /// <summary>The session's own copy of the options (never changed after construction).</summary>
    public ZooKeeperClientOptions Options { get; }

    public ConnectionString ConnectString { get; }

    public Chroot Chroot => _context.Chroot;

    public WatchManager Watches { get; }

    public EventDispatcher Dispatcher { get; }

    public ConnectionState State { get; private set; } = ConnectionState.Lost;

    public KeeperState KeeperState { get; private set; } = KeeperState.Disconnected;

    public long SessionId => Interlocked.Read(ref _sessionId);

    public long LastZxid => _context.LastZxid;

    public TimeSpan NegotiatedTimeout => _current is { } c ? TimeSpan.FromMilliseconds(c.NegotiatedTimeoutMs) : TimeSpan.Zero;

    public string? CurrentServer => _current?.ServerText;

    /// <summary>The TLS version of the current connection, or null (plaintext, or not connected).</summary>
    public string? TlsProtocol => _current?.TlsProtocol;

    /// <summary>Why the last connection attempt failed (server and cause), or null.</summary>
    public Exception? LastConnectError => Volatile.Read(ref _lastConnectError);

    /// <summary>Requests waiting for a connection.</summary>
    public int QueuedRequests => _pipeline.QueuedCount;

    int ISessionGauges.InFlight => _current?.InFlightCount ?? 0;

    int ISessionGauges.Queued => _pipeline.QueuedCount;

    string? ISessionGauges.Server => CurrentServer;

    string ISessionGauges.SessionIdText
    {
        get
        {
            var id = SessionId;
            var cached = _sessionIdText;
            if (cached is null || cached.Id != id)
            {
                cached = new SessionIdLabel(id, SessionIds.Format(id));
                _sessionIdText = cached;
            }

            return cached.Text;
        }
    }

    /// <summary>How long a request waits for a connection: the option, else the session timeout.</summary>
    public TimeSpan QueueTimeout => Options.DisconnectedRequestTimeout ?? Options.SessionTimeout;

    /// <summary>Raised on the dispatcher loop, in order.</summary>
    public event Action<ConnectionStateChange>? StateChanged;

    /// <summary>Starts the send thread and the timer once.</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        lock (_stateLock)
        {
            if (_started || _closeTask is not null)
            {
                return; // closed: the pipeline refuses every request
            }

            _started = true;
        }

        ClientTelemetry.Register(this);
        _timer.Start("ZooKeeper session timer");
        var thread = new Thread(SendLoop) { IsBackground = true, Name = "ZooKeeper send " + ConnectString };
        thread.UnsafeStart();
    }

    // ------------------------------------------------------------------ requests

    /// <summary>Issues a request: it takes its place in the FIFO now and is written in that order.</summary>
    public ValueTask<T> SendAsync<TBody, T, TDecoder>(TBody body, string? path, WatchRegistration watch, object? state, CancellationToken cancellationToken)
        where TBody : struct, IRequestBody
        where TDecoder : IReplyDecoder<T>
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        Start();
        var request = PendingRequest<T, TDecoder>.Rent(Options.RunContinuationsAsynchronously);
        request.Path = path;
        request.Watch = watch;
        request.State = state;
        request.Op = body.Op;
        if (ClientTelemetry.Duration.Enabled)
        {
            request.StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        if (ClientTelemetry.Source.HasListeners())
        {
            request.Activity = ClientTelemetry.StartActivity(body.Op, path, this);
        }

        var placement = _pipeline.Submit(ref body, request);
        return Finish(placement, request, path, cancellationToken);
    }

    private ValueTask<T> Finish<T, TDecoder>(in Placement placement, PendingRequest<T, TDecoder> request, string? path, CancellationToken cancellationToken)
        where TDecoder : IReplyDecoder<T>
    {
        switch (placement.Kind)
        {
            case PlacementKind.Sent:
                if (placement.InlineBatch is { } batch)
                {
                    placement.Connection!.FlushInline(batch);
                }

                break;
            case PlacementKind.Queued:
                break;
            case PlacementKind.TooLarge:
                {
                    var tooLarge = new PacketTooLargeException(path, placement.Size, Options.MaxPacketSize);
                    ClientTelemetry.Finish(request.Op, request.StartTimestamp, request.Activity, tooLarge);
                    request.Discard();
                    return ValueTask.FromException<T>(tooLarge);
                }

            default:
                ClientTelemetry.Finish(request.Op, request.StartTimestamp, request.Activity, placement.Error);
                request.Discard();
                return ValueTask.FromException<T>(placement.Error!);
        }

        request.RegisterCancellation(cancellationToken);
        return request.Task;
    }

    /// <summary>Adds credentials in issue order (from the moment they are written, every later connection replays them); completes with the server's answer.</summary>
    public async Task AddAuthAsync(AuthInfo auth, CancellationToken cancellationToken)
        => await SendAsync<AuthRequest, bool, NoReply>(new AuthRequest(auth.Scheme, auth.Auth), null, default, auth, cancellationToken).ConfigureAwait(false);

    /// <summary>Subscribes to state changes now; the stream ends when the session is closed.</summary>
    public IAsyncEnumerable<ConnectionStateChange> StateChangesAsync(CancellationToken cancellationToken)
        => _stateSubscribers.Subscribe(cancellationToken);

    // ------------------------------------------------------------------ state

    /// <param name="state">The new state.</param>
    /// <param name="keeperState">The raw state behind it.</param>
    /// <param name="server">The server, when connected.</param>
    /// <param name="sessionId">The session the change is about, when it is no longer the current one (the expired one).</param>
    private void SetState(ConnectionState state, KeeperState keeperState, string? server, long? sessionId = null)
    {
        lock (_stateLock)
        {
            var previous = State;
            KeeperState = keeperState;
            if (previous == state && state != ConnectionState.Connected)
            {
                return;
            }

            State = state;
            var change = new ConnectionStateChange(state, previous, keeperState, sessionId ?? SessionId, server, DateTimeOffset.UtcNow);
            _stateSubscribers.Publish(change);
            Log.StateChanged(_logger, previous, state, keeperState);
            if (StateChanged is { } handler)
            {
                Dispatcher.Post(() => handler(change));
            }

            // Waiters go after the event is on its way, so what they do next is ordered behind it.
            if (state == ConnectionState.Connected)
            {
                _connectedSignal.TrySetResult();
            }
            else if (_connectedSignal.Task.IsCompleted && _pipeline.Fatal is null)
            {
                _connectedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Makes the session unusable: waiting and later calls fail with <paramref name="error"/>.</summary>
    private void Fail(Exception error)
    {
        _pipeline.Refuse(error);
        lock (_stateLock)
        {
            _connectedSignal.TrySetException(_pipeline.Fatal ?? error);
            _ = _connectedSignal.Task.Exception; // observed
        }
    }

    private void EndAllWatches(KeeperState state)
    {
        var watchers = Watches.Clear();
        if (watchers.Count > 0)
        {
            Dispatcher.Post(watchers, new WatchedEvent(EventType.None, state, null));
        }
    }

    private void OnTimer(long now)
    {
        try
        {
            _current?.OnTimer(now);
            _pipeline.ExpireQueued(now, request => new ConnectionLossException(
                request.Path,
                $"no connection to ZooKeeper came up within {QueueTimeout.TotalMilliseconds:0} ms (ZooKeeperClientOptions.DisconnectedRequestTimeout); the request was never sent (state {State})"
                    + (LastConnectError is { } last ? $"; last connect attempt: {last.Message}" : string.Empty)));
        }
        catch (Exception ex)
        {
            Log.CallbackFailed(_logger, ex);
        }
    }

    // ------------------------------------------------------------------ IConnectionEvents

    void IConnectionEvents.OnNotification(in WatcherEvent notification)
    {
        if (notification.Path is not { } serverPath)
        {
            return;
        }

        var watchers = Watches.Materialize(notification.Type, serverPath);
        if (watchers is null || _context.Chroot.ToClientPath(serverPath) is not { } clientPath)
        {
            return;
        }

        Dispatcher.Post(watchers, new WatchedEvent(notification.Type, notification.State, clientPath));
    }

    void IConnectionEvents.OnAuthFailed(Connection connection, ErrorCode error)
    {
        Log.AuthFailed(_logger, error);
        EndRefused(
            new AuthFailedException(null, error == ErrorCode.SessionClosedRequireSaslAuth
                ? $"ZooKeeper {connection.Server}: {ZooKeeperException.SaslRequiredText}; the session is unusable"
                : $"the server refused the session's credentials ({error}); the session is unusable"),
            connection);
    }

    /// <summary>
    /// The servers refused the session's credentials (an auth packet, SASL, or SASL required and missing): the client
    /// ends for good — calls fail with <paramref name="error"/>, watches end, state LOST with AuthFailed — and does
    /// not retry. <paramref name="connection"/> is the live connection to drop, if there is one.
    /// </summary>
    private void EndRefused(AuthFailedException error, Connection? connection)
    {
        _leaseConnection = null;
        Fail(error);
        connection?.Abort(new IOException("authentication failed"));
        EndAllWatches(KeeperState.AuthFailed);
        SetState(ConnectionState.Lost, KeeperState.AuthFailed, null);
    }

    void IConnectionEvents.OnClosed(Connection connection, Exception reason) => _pipeline.Detach(connection);

    // ------------------------------------------------------------------ closing

    /// <summary>Closes the session on the server (ephemeral nodes go at once), then stops everything. Idempotent.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            _closeTask ??= CloseCoreAsync(cancellationToken);
            return _closeTask;
        }
    }

    private async Task CloseCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var closed = new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper client is closed.");
        if (_current is { IsClosed: false } && State == ConnectionState.Connected)
        {
            var request = PendingRequest<bool, NoReply>.Rent(runContinuationsAsynchronously: true);
            var body = new EmptyRequest(OpCode.CloseSession);
            var placement = _pipeline.Submit(ref body, request, thenRefuse: closed);
            try
            {
                var reply = Finish(placement, request, null, CancellationToken.None).AsTask();
                await reply.WaitAsync(TimeSpan.FromSeconds(Math.Min(5, Options.SessionTimeout.TotalSeconds)), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ZooKeeperException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                // The server ends the session by itself after its timeout.
            }
        }

        _leaseConnection = null;
        Fail(closed);
        _shutdown.Cancel();
        _current?.Abort(closed);
        if (_started)
        {
            await _sendLoopExited.Task.ConfigureAwait(false);
            _timer.Stop();
        }

        ClientTelemetry.Unregister(this);
        Log.Closed(_logger, SessionId);
        EndAllWatches(KeeperState.Closed);
        SetState(ConnectionState.Lost, KeeperState.Closed, null);
        _stateSubscribers.Complete();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        await Dispatcher.DisposeAsync().ConfigureAwait(false);

        // _shutdown is not disposed: a background thread (the read-write search) may still be leaving and look at it.
    }
}

/// <summary>A session id and its 0x-hex text, swapped as one reference.</summary>
internal sealed record SessionIdLabel(long Id, string Text);
