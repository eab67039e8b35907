using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// The session machinery behind <see cref="ZooKeeperClient"/>: picks servers, (re)connects and resumes the session,
/// replays credentials and watches, tracks state, sends requests on the live connection and waits (bounded) for one
/// when there is none.
/// </summary>
internal sealed class ZooKeeperSession : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ServerList _servers;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _stateLock = new();
    private readonly List<AuthInfo> _auth = [];
    private readonly StateBroadcast<ConnectionStateChange> _stateSubscribers = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Connection? _current;
    private Exception? _fatal;
    private Task? _loop;
    private int _xid;
    private long _lastZxid;
    private long _sessionId;
    private byte[] _password = new byte[16];
    private bool _closing;
    private volatile bool _closeRequested;

    public ZooKeeperSession(ZooKeeperClientOptions options, ILogger logger)
    {
        options.Validate();
        Options = options;
        _logger = logger;
        Chroot = ConnectionString.Parse(options.ConnectString);
        _servers = new ServerList(Chroot.Servers, options.ShuffleServers);
        _auth.AddRange(options.Auth);
        Watches = new WatchManager();
        Dispatcher = new EventDispatcher(logger);
    }

    public ZooKeeperClientOptions Options { get; }

    public ConnectionString Chroot { get; }

    public WatchManager Watches { get; }

    public EventDispatcher Dispatcher { get; }

    public ConnectionState State { get; private set; } = ConnectionState.Lost;

    public KeeperState KeeperState { get; private set; } = KeeperState.Disconnected;

    public long SessionId => Interlocked.Read(ref _sessionId);

    public long LastZxid => Interlocked.Read(ref _lastZxid);

    public int NegotiatedTimeoutMs => _current?.NegotiatedTimeoutMs ?? 0;

    public string? CurrentServer => _current?.Server.ToString();

    /// <summary>One TCP connect + handshake attempt: the option, else session timeout ÷ number of servers.</summary>
    public TimeSpan ConnectTimeout => Options.ConnectTimeout ?? Options.SessionTimeout / _servers.Count;

    /// <summary>Raised on the dispatcher loop, in order.</summary>
    public event Action<ConnectionStateChange>? StateChanged;

    public int NextXid()
    {
        while (true)
        {
            var xid = Interlocked.Increment(ref _xid);
            if (xid > 0)
            {
                return xid;
            }

            Interlocked.CompareExchange(ref _xid, 0, xid);
        }
    }

    public void ObserveZxid(long zxid)
    {
        var current = Interlocked.Read(ref _lastZxid);
        while (zxid > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastZxid, zxid, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Starts the connection loop once.</summary>
    public void Start()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            _loop ??= Task.Run(RunAsync);
        }
    }

    /// <summary>Waits until CONNECTED; throws <see cref="ConnectionLossException"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await WaitConnectedCoreAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ConnectionLossException(null, $"not connected to ZooKeeper ({Chroot}) within {timeout.TotalMilliseconds:0} ms (state {State})");
        }
    }

    /// <summary>Sends a request on the live connection, waiting (bounded) for one if there is none.</summary>
    public ValueTask<T> SendAsync<TBody, T, TDecoder>(TBody body, string? path, WatchRegistration watch, object? state, CancellationToken cancellationToken)
        where TBody : struct, IRequestBody
        where TDecoder : IReplyDecoder<T>
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        if (_fatal is { } fatal)
        {
            return ValueTask.FromException<T>(fatal);
        }

        var request = PendingRequest<T, TDecoder>.Rent(Options.RunContinuationsAsynchronously, cancellationToken);
        request.Path = path;
        request.Watch = watch;
        request.State = state;
        var connection = _current;
        if (connection is not null)
        {
            switch (connection.TryEnqueue(ref body, request, out var size))
            {
                case EnqueueResult.Enqueued:
                    return request.Task;
                case EnqueueResult.TooLarge:
                    request.Discard();
                    return ValueTask.FromException<T>(new PacketTooLargeException(path, size, Options.MaxPacketSize));
            }
        }

        return SendWhenConnectedAsync(body, request, path, cancellationToken);
    }

    private async ValueTask<T> SendWhenConnectedAsync<TBody, T, TDecoder>(TBody body, PendingRequest<T, TDecoder> request, string? path, CancellationToken cancellationToken)
        where TBody : struct, IRequestBody
        where TDecoder : IReplyDecoder<T>
    {
        var wait = Options.DisconnectedRequestTimeout ?? Options.SessionTimeout;
        var deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            var connection = _current;
            if (connection is not null)
            {
                switch (connection.TryEnqueue(ref body, request, out var size))
                {
                    case EnqueueResult.Enqueued:
                        return await request.Task.ConfigureAwait(false);
                    case EnqueueResult.TooLarge:
                        request.Discard();
                        throw new PacketTooLargeException(path, size, Options.MaxPacketSize);
                }
            }

            try
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    throw new TimeoutException();
                }

                await WaitConnectedCoreAsync(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                request.Discard();
                throw new ConnectionLossException(path, $"not connected to ZooKeeper (state {State}) and no connection came up within {wait.TotalMilliseconds:0} ms (ZooKeeperClientOptions.DisconnectedRequestTimeout)");
            }
            catch
            {
                request.Discard();
                throw;
            }
        }
    }

    /// <summary>Waits until CONNECTED; throws <see cref="TimeoutException"/>, the fatal error, or cancellation.</summary>
    private async Task WaitConnectedCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Start();
        Task connected;
        lock (_stateLock)
        {
            if (_fatal is not null)
            {
                throw _fatal;
            }

            if (_current is not null)
            {
                return;
            }

            connected = _connected.Task;
        }

        await connected.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds credentials: replayed on every connection; awaits the server's answer on the current one.</summary>
    public async Task AddAuthAsync(AuthInfo auth, CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (!_auth.Any(a => a.Scheme == auth.Scheme && a.Auth.AsSpan().SequenceEqual(auth.Auth)))
            {
                _auth.Add(auth);
            }
        }

        var wait = Options.DisconnectedRequestTimeout ?? Options.SessionTimeout;
        var deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            var connection = _current;
            if (connection is not null)
            {
                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (connection.TryEnqueueAuth(auth, waiter))
                {
                    await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }

            try
            {
                await WaitConnectedCoreAsync(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new ConnectionLossException(null, $"not connected to ZooKeeper within {wait.TotalMilliseconds:0} ms; the credentials will be sent when a connection comes up");
            }
        }
    }

    /// <summary>Subscribes to state changes now; the stream ends when the session is closed.</summary>
    public IAsyncEnumerable<ConnectionStateChange> StateChangesAsync(CancellationToken cancellationToken)
        => _stateSubscribers.Subscribe(cancellationToken);

    private void SetState(ConnectionState state, KeeperState keeperState, string? server)
    {
        ConnectionStateChange change;
        lock (_stateLock)
        {
            var previous = State;
            KeeperState = keeperState;
            if (previous == state && state != ConnectionState.Connected)
            {
                return;
            }

            State = state;
            change = new ConnectionStateChange(state, previous, keeperState, SessionId, server, DateTimeOffset.UtcNow);
            _stateSubscribers.Publish(change);

            Log.StateChanged(_logger, previous, state, keeperState);
        }

        var handler = StateChanged;
        if (handler is not null)
        {
            Dispatcher.Post(() => handler(change));
        }
    }

    private async Task RunAsync()
    {
        var token = _shutdown.Token;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            var server = _servers.Next();
            if (failures > 0 && failures % _servers.Count == 0)
            {
                // Every server failed once: back off (with jitter) before the next round.
                var round = failures / _servers.Count;
                var max = Options.ReconnectBackoff.TotalMilliseconds;
                var delay = Math.Min(max, 50 * Math.Pow(2, round - 1));
                delay = delay / 2 + Random.Shared.NextDouble() * delay / 2;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(delay), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            Connection connection;
            try
            {
                var connectTimeout = ConnectTimeout;
                connection = await Connection.OpenAsync(this, server, SessionId, _password, LastZxid, connectTimeout, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                Log.ConnectFailed(_logger, server.ToString(), ex.Message);
                continue;
            }

            if (connection.IsExpired)
            {
                connection.Abort(new IOException("session expired"));
                OnExpired();
                if (_fatal is not null)
                {
                    break;
                }

                continue;
            }

            failures = 0;
            var resumed = SessionId != 0 && SessionId == connection.SessionId;
            Interlocked.Exchange(ref _sessionId, connection.SessionId);
            _password = connection.Password;

            // Prime the connection before anyone else may write to it: credentials, then watches, then requests.
            List<AuthInfo> auth;
            lock (_stateLock)
            {
                auth = [.. _auth];
            }

            try
            {
                foreach (var a in auth)
                {
                    connection.TryEnqueueAuth(a, null);
                }

                if (resumed)
                {
                    var watches = Watches.Snapshot();
                    if (!watches.IsEmpty)
                    {
                        connection.EnqueueSetWatches(watches, LastZxid);
                    }
                }
            }
            catch (Exception ex)
            {
                // Never let one bad connection end the loop.
                connection.Abort(ex);
                failures++;
                Log.ConnectFailed(_logger, server.ToString(), ex.Message);
                continue;
            }

            connection.Start();
            Log.Connected(_logger, connection.Server.ToString(), connection.SessionId, connection.NegotiatedTimeoutMs, connection.IsReadOnly ? " (read-only)" : string.Empty);
            lock (_stateLock)
            {
                if (_closing)
                {
                    connection.Abort(new ObjectDisposedException(nameof(ZooKeeperClient)));
                    break;
                }

                _current = connection;
                _connected.TrySetResult();
            }

            SetState(ConnectionState.Connected, connection.IsReadOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected, connection.Server.ToString());

            var reason = await connection.Completion.ConfigureAwait(false);
            lock (_stateLock)
            {
                _current = null;
                if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            if (token.IsCancellationRequested || _fatal is not null || _closeRequested)
            {
                break;
            }

            Log.ConnectionLost(_logger, connection.Server.ToString(), SessionId, reason.Message);
            SetState(ConnectionState.Suspended, KeeperState.Disconnected, null);
        }
    }

    private void OnExpired()
    {
        var expiredId = SessionId;
        Log.SessionExpired(_logger, expiredId);
        Interlocked.Exchange(ref _sessionId, 0);
        Interlocked.Exchange(ref _lastZxid, 0);
        _password = new byte[16];
        if (!Options.ReconnectAfterExpiry)
        {
            Fail(new SessionExpiredException(null, $"session 0x{expiredId:x} expired and ZooKeeperClientOptions.ReconnectAfterExpiry is off"));
        }

        EndAllWatches(KeeperState.Expired);
        SetState(ConnectionState.Lost, KeeperState.Expired, null);
    }

    private void EndAllWatches(KeeperState state)
    {
        var watchers = Watches.Clear();
        if (watchers.Count > 0)
        {
            Dispatcher.Post(watchers, new WatchedEvent(EventType.None, state, null));
        }
    }

    /// <summary>Makes the session unusable: waiters and later calls fail with <paramref name="error"/>.</summary>
    private void Fail(Exception error)
    {
        lock (_stateLock)
        {
            _fatal ??= error;
            _connected.TrySetException(_fatal);
            _connected.Task.Exception?.Handle(_ => true);
        }
    }

    public void OnNotification(EventType type, KeeperState state, string? serverPath)
    {
        if (serverPath is null)
        {
            return;
        }

        var watchers = Watches.Materialize(type, serverPath);
        if (watchers is null)
        {
            return;
        }

        var clientPath = ToClientPath(serverPath);
        if (clientPath is null)
        {
            return;
        }

        Dispatcher.Post(watchers, new WatchedEvent(type, state, clientPath));
    }

    /// <summary>Strips the chroot; null when the path is outside it.</summary>
    public string? ToClientPath(string serverPath)
    {
        var chroot = Chroot.Chroot;
        if (chroot is null)
        {
            return serverPath;
        }

        if (serverPath == chroot)
        {
            return "/";
        }

        return serverPath.Length > chroot.Length && serverPath.StartsWith(chroot, StringComparison.Ordinal) && serverPath[chroot.Length] == '/'
            ? serverPath[chroot.Length..]
            : null;
    }

    public void OnAuthFailed(Connection connection, ErrorCode error)
    {
        Log.AuthFailed(_logger, "(see AddAuth)");
        Fail(new AuthFailedException(null, $"authentication failed ({error}); the session is unusable"));
        connection.Abort(new IOException("authentication failed"));
        EndAllWatches(KeeperState.AuthFailed);
        SetState(ConnectionState.Lost, KeeperState.AuthFailed, null);
    }

    public void OnSetWatchesFailed(ErrorCode error) => Log.SetWatchesFailed(_logger, error);

    public void OnProtocolError(Connection connection, Exception error) => Log.ProtocolError(_logger, connection.Server.ToString(), error.Message);

    /// <summary>Closes the session on the server (ephemeral nodes go at once), then stops everything.</summary>
    public async Task CloseAsync(Func<CancellationToken, Task> sendCloseSession, CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_closing || _closeRequested)
            {
                return;
            }

            _closeRequested = true;
        }

        if (_current is not null)
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(Math.Min(5, Options.SessionTimeout.TotalSeconds)));
                await sendCloseSession(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ZooKeeperException or OperationCanceledException)
            {
                // The session ends on the server by itself after its timeout.
            }
        }

        Task? loop;
        lock (_stateLock)
        {
            _closing = true;
            loop = _loop;
            _fatal ??= new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper client is closed.");
            _connected.TrySetException(_fatal);
            _connected.Task.Exception?.Handle(_ => true);
        }

        _shutdown.Cancel();
        _current?.Abort(new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper client is closed."));
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        Log.Closed(_logger, SessionId);
        EndAllWatches(KeeperState.Closed);
        SetState(ConnectionState.Lost, KeeperState.Closed, null);
        _stateSubscribers.Complete();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(static _ => Task.CompletedTask, CancellationToken.None).ConfigureAwait(false);
        await Dispatcher.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
