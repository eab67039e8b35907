using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Session;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client;

/// <summary>
/// A ZooKeeper session: one pipelined connection to one server of the ensemble at a time, moved to another server
/// (resuming the same session) when the connection drops.
/// </summary>
/// <remarks>
/// <para>State follows kazoo: <see cref="ConnectionState.Lost"/> at first, <see cref="ConnectionState.Connected"/>,
/// <see cref="ConnectionState.Suspended"/> while the connection is down, <see cref="ConnectionState.Lost"/> again on
/// expiry, authentication failure or close. After expiry a new session is made automatically unless
/// <see cref="ZooKeeperClientOptions.ReconnectAfterExpiry"/> is off.</para>
/// <para>Order: every request takes its place in one FIFO when it is issued and is written to the server in that
/// order — also when issued while SUSPENDED (it waits, up to
/// <see cref="ZooKeeperClientOptions.DisconnectedRequestTimeout"/>, and is sent after the next handshake, credential
/// replay and watch replay, ahead of anything issued later). Requests in flight when a connection drops fail at once
/// with <see cref="ConnectionLossException"/> (they may or may not have been applied). Watch callbacks and
/// <see cref="StateChanged"/> run one at a time, in order, on a dedicated loop.</para>
/// </remarks>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperSession _session;

    /// <summary>Creates a client; call <see cref="ConnectAsync(CancellationToken)"/> (or just issue requests) to connect.</summary>
    /// <exception cref="ArgumentException">The options are invalid (connect string, TLS files, ...); the message names the setting.</exception>
    public ZooKeeperClient(ZooKeeperClientOptions options, ILogger<ZooKeeperClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _session = new ZooKeeperSession(options, (ILogger?)logger ?? NullLogger.Instance);
        _session.StateChanged += change => StateChanged?.Invoke(this, change);
    }

    /// <summary>Creates a client for a connect string with default options.</summary>
    public ZooKeeperClient(string connectString, ILogger<ZooKeeperClient>? logger = null)
        : this(new ZooKeeperClientOptions { ConnectString = connectString }, logger)
    {
    }

    /// <summary>Creates a client and waits until it is connected.</summary>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, ILogger<ZooKeeperClient>? logger = null, CancellationToken cancellationToken = default)
    {
        var client = new ZooKeeperClient(options, logger);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Completes once every watch event and state change the client observed before this call has been delivered to
    /// its callbacks (e.g. the final <see cref="KeeperState.Closed"/> change after <see cref="CloseAsync"/>), or at once
    /// when the event loop has ended: the point after which a component built on the client has seen everything.
    /// </summary>
    public Task WhenEventsDeliveredAsync(CancellationToken cancellationToken = default)
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_session.Dispatcher.TryPost(drained.SetResult))
        {
            drained.SetResult();
        }

        return drained.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// True when, before the first session, every server refused the connection
    /// <see cref="ZooKeeperClientOptions.RefusedRoundsBeforeFailing"/> rounds in a row (nothing listens there): connecting
    /// fails at once from then on, naming the servers, instead of waiting out its timeout.
    /// </summary>
    public bool EveryServerRefused => _session.EveryServerRefused;

    /// <summary>True while the event loop has posted events, state changes or replies queued behind them still to deliver.</summary>
    internal bool HasPendingEvents => _session.Dispatcher.HasPending;

    /// <summary>Raised on every state change, in order, on the event loop.</summary>
    public event EventHandler<ConnectionStateChange>? StateChanged;

    /// <summary>A copy of the options the client was created with (changing it has no effect on the client).</summary>
    public ZooKeeperClientOptions Options => _session.Options.Clone();

    /// <summary>The packet limit in use (<see cref="ZooKeeperClientOptions.MaxPacketSize"/>).</summary>
    public int MaxPacketSize => _session.Options.MaxPacketSize;

    /// <summary>The current kazoo-style state.</summary>
    public ConnectionState State => _session.State;

    /// <summary>The current raw keeper state.</summary>
    public KeeperState KeeperState => _session.KeeperState;

    /// <summary>The session id (0 before the first connection and after expiry).</summary>
    public long SessionId => _session.SessionId;

    /// <summary>The session timeout the server granted (zero when not connected).</summary>
    public TimeSpan NegotiatedSessionTimeout => _session.NegotiatedTimeout;

    /// <summary>
    /// How much longer the server is certain to keep the session <paramref name="sessionId"/> alive even if nothing
    /// more gets through: 9/10 of the negotiated session timeout, counted from the moment the client sent the latest
    /// request, ping or handshake the server has answered. The server restarts a session's expiry clock only when it
    /// hears from it, and it cannot have heard that before it was sent, so until this runs out no other session can
    /// have seen this one's ephemeral nodes vanish. Zero when <paramref name="sessionId"/> is not the current session
    /// (expired, replaced, closed, or 0), for a read-only session, and once that time has passed (also while
    /// SUSPENDED). Cheap and lock-free: recipes check it every time they are asked whether they still lead or hold a
    /// lock, so a process that was frozen (a long GC pause, SIGSTOP) knows at once that it may have been replaced.
    /// </summary>
    /// <param name="sessionId">The session the caller's ephemeral nodes belong to (e.g. <see cref="SessionId"/> when they were created).</param>
    public TimeSpan GetSessionLease(long sessionId) => _session.GetSessionLease(sessionId);

    /// <summary>The server currently connected to, or null.</summary>
    public string? CurrentServer => _session.CurrentServer;

    /// <summary>The TLS version of the current connection (e.g. <c>Tls13</c>), or null when plaintext or not connected.</summary>
    public string? TlsProtocol => _session.TlsProtocol;

    /// <summary>Why the most recent connection attempt failed (the message names the server and the cause); null after a success.</summary>
    public Exception? LastConnectError => _session.LastConnectError;

    /// <summary>The highest zxid seen in a reply.</summary>
    public long LastZxid => _session.LastZxid;

    /// <summary>The chroot every path is relative to, or null.</summary>
    public string? Chroot => _session.Chroot.Prefix;

    /// <summary>Starts connecting and waits until CONNECTED (or the session timeout × 2, or cancellation).</summary>
    /// <exception cref="ConnectionLossException">Not connected in time; the message carries the last attempt's error.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
        => _session.WaitConnectedAsync(_session.Options.SessionTimeout * 2, cancellationToken);

    /// <summary>Waits until CONNECTED, at most <paramref name="timeout"/>.</summary>
    public Task WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => _session.WaitConnectedAsync(timeout, cancellationToken);

    /// <summary>Every state change from the moment of this call on (subscribed here, not at the first enumeration), as an async stream that ends when the client is closed.</summary>
    public IAsyncEnumerable<ConnectionStateChange> StateChangesAsync(CancellationToken cancellationToken = default)
        => _session.StateChangesAsync(cancellationToken);

    /// <summary>Adds credentials to the session (kept and replayed on every reconnect), in issue order with other requests. Awaits the server's answer.</summary>
    public Task AddAuthAsync(AuthInfo auth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auth);
        return _session.AddAuthAsync(auth, cancellationToken);
    }

    /// <summary>Adds digest credentials <c>user:password</c>.</summary>
    public Task AddDigestAuthAsync(string user, string password, CancellationToken cancellationToken = default)
        => AddAuthAsync(AuthInfo.Digest(user, password), cancellationToken);

    /// <summary>
    /// Closes the session on the server (its ephemeral nodes vanish at once; requests issued before are written
    /// first) and stops the client. Later calls fail with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _session.CloseAsync(cancellationToken);

    /// <summary>Closes the session (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _session.DisposeAsync().ConfigureAwait(false);
    }

    private ValueTask<T> Send<TBody, T, TDecoder>(TBody body, string? path, CancellationToken cancellationToken, WatchRegistration watch = default, object? state = null)
        where TBody : struct, IRequestBody
        where TDecoder : IReplyDecoder<T>
        => _session.SendAsync<TBody, T, TDecoder>(body, path, watch, state, cancellationToken);

    private WatchRegistration Watch(WatchKind kind, string path, Action<WatchedEvent>? watcher)
        => watcher is null ? default : new WatchRegistration(kind, _session.Chroot.ToServerPath(path), watcher);

    private static ValueTask Void(ValueTask<bool> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            _ = task.Result;
            return ValueTask.CompletedTask;
        }

        return Await(task);

        static async ValueTask Await(ValueTask<bool> t) => await t.ConfigureAwait(false);
    }
}
