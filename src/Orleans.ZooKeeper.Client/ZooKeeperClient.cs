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
/// <para>Requests in flight when a connection drops fail at once with <see cref="ConnectionLossException"/> (they may
/// or may not have been applied). Requests made while SUSPENDED wait for a connection up to
/// <see cref="ZooKeeperClientOptions.DisconnectedRequestTimeout"/> (default: the session timeout), then fail with
/// <see cref="ConnectionLossException"/>. Watch callbacks and <see cref="StateChanged"/> run one at a time, in order,
/// on a dedicated loop.</para>
/// </remarks>
public sealed class ZooKeeperClient : IAsyncDisposable
{
    private const long MaxTtlMilliseconds = (1L << 40) - 1;
    private readonly ZooKeeperSession _session;

    /// <summary>Creates a client; call <see cref="ConnectAsync(CancellationToken)"/> (or just issue requests) to connect.</summary>
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

    /// <summary>Raised on every state change, in order, on the event loop.</summary>
    public event EventHandler<ConnectionStateChange>? StateChanged;

    /// <summary>The options.</summary>
    public ZooKeeperClientOptions Options => _session.Options;

    /// <summary>The current kazoo-style state.</summary>
    public ConnectionState State => _session.State;

    /// <summary>The current raw keeper state.</summary>
    public KeeperState KeeperState => _session.KeeperState;

    /// <summary>The session id (0 before the first connection and after expiry).</summary>
    public long SessionId => _session.SessionId;

    /// <summary>The session timeout the server granted, in milliseconds (0 when not connected).</summary>
    public int NegotiatedSessionTimeoutMs => _session.NegotiatedTimeoutMs;

    /// <summary>The server currently connected to, or null.</summary>
    public string? CurrentServer => _session.CurrentServer;

    /// <summary>The highest zxid seen in a reply.</summary>
    public long LastZxid => _session.LastZxid;

    /// <summary>The chroot every path is relative to, or null.</summary>
    public string? Chroot => _session.Chroot.Chroot;

    /// <summary>Starts connecting and waits until CONNECTED (or the session timeout × 2, or cancellation).</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
        => _session.WaitConnectedAsync(_session.Options.SessionTimeout * 2, cancellationToken);

    /// <summary>Waits until CONNECTED, at most <paramref name="timeout"/>.</summary>
    public Task WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => _session.WaitConnectedAsync(timeout, cancellationToken);

    /// <summary>Every state change from the moment of this call on (subscribed here, not at the first enumeration), as an async stream that ends when the client is closed.</summary>
    public IAsyncEnumerable<ConnectionStateChange> StateChangesAsync(CancellationToken cancellationToken = default)
        => _session.StateChangesAsync(cancellationToken);

    // ---------------------------------------------------------------- create / delete

    /// <summary>Creates a node and returns its path (with sequence suffix) and metadata.</summary>
    /// <param name="path">The path; for sequential modes the suffix is appended to it.</param>
    /// <param name="data">The data.</param>
    /// <param name="mode">Persistent, ephemeral, sequential, container or TTL.</param>
    /// <param name="acl">The ACL; default <see cref="Acls.OpenUnsafe"/>.</param>
    /// <param name="ttl">The TTL, required for TTL modes (1 ms .. 2^40-1 ms).</param>
    /// <param name="cancellationToken">Cancels waiting for the reply (the request may still be applied).</param>
    public ValueTask<CreateResult> CreateAsync(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, mode.IsSequential());
        acl ??= Acls.OpenUnsafe;
        ValidateCreate(acl, mode, ttl);
        return _session.SendAsync<CreateRequest, CreateResult, CreateReply>(new CreateRequest(path, data, acl, mode, TtlMilliseconds(mode, ttl)), path, default, null, cancellationToken);
    }

    /// <summary>Creates a node, first creating any missing parents (persistent, with the same ACL).</summary>
    public async ValueTask<CreateResult> CreateWithParentsAsync(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await CreateAsync(path, data, mode, acl, ttl, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < 5)
            {
                var parent = ZooKeeperPath.GetParent(path.EndsWith('/') ? path[..^1] : path);
                if (parent is null || parent == "/")
                {
                    throw;
                }

                await EnsurePathAsync(parent, acl, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Creates every missing node along <paramref name="path"/> (persistent, empty). Existing nodes are left alone.</summary>
    public async ValueTask EnsurePathAsync(string path, IReadOnlyList<Acl>? acl = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        if (path == "/")
        {
            return;
        }

        // Fast path: it exists already.
        if (await ExistsAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var index = 0;
        while (index >= 0)
        {
            index = path.IndexOf('/', index + 1);
            var prefix = index < 0 ? path : path[..index];
            try
            {
                await CreateAsync(prefix, default, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
            }
        }
    }

    /// <summary>Deletes a node if its version matches (-1: any version).</summary>
    public ValueTask DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Void(_session.SendAsync<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.Delete, path, version), path, default, null, cancellationToken));
    }

    /// <summary>Deletes a node and everything below it. Nodes that vanish meanwhile are fine; returns false if the node did not exist.</summary>
    public async ValueTask<bool> DeleteRecursiveAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        if (path == "/")
        {
            throw new ArgumentException("Refusing to delete '/' recursively.", nameof(path));
        }

        for (var attempt = 0; ; attempt++)
        {
            IReadOnlyList<string> children;
            try
            {
                children = await GetChildrenAsync(path, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                return false;
            }

            foreach (var child in children)
            {
                await DeleteRecursiveAsync(ZooKeeperPath.Combine(path, child), cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NoNodeException)
            {
                return false;
            }
            catch (NotEmptyException) when (attempt < 10)
            {
                // A child appeared meanwhile: go again.
            }
        }
    }

    // ---------------------------------------------------------------- reads

    /// <summary>The node's metadata, or null when it does not exist. A watcher is armed either way (NodeCreated fires it when absent).</summary>
    public ValueTask<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathWatchRequest, Stat?, ExistsReply>(new PathWatchRequest(OpCode.Exists, path, watcher is not null), path, Watch(WatchKind.DataOrExist, path, watcher), null, cancellationToken);
    }

    /// <summary>The node's data and metadata; <see cref="NoNodeException"/> when missing. The watcher fires on data change or deletion.</summary>
    public ValueTask<DataResult> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathWatchRequest, DataResult, DataReply>(new PathWatchRequest(OpCode.GetData, path, watcher is not null), path, Watch(WatchKind.Data, path, watcher), null, cancellationToken);
    }

    /// <summary>The node's child names. The watcher fires when children change or the node is deleted.</summary>
    public ValueTask<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathWatchRequest, IReadOnlyList<string>, ChildrenReply>(new PathWatchRequest(OpCode.GetChildren, path, watcher is not null), path, Watch(WatchKind.Child, path, watcher), null, cancellationToken);
    }

    /// <summary>The node's child names and the node's metadata (getChildren2).</summary>
    public ValueTask<ChildrenResult> GetChildrenWithStatAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathWatchRequest, ChildrenResult, Children2Reply>(new PathWatchRequest(OpCode.GetChildren2, path, watcher is not null), path, Watch(WatchKind.Child, path, watcher), null, cancellationToken);
    }

    /// <summary>The number of all descendants of the node.</summary>
    public ValueTask<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathRequest, int, IntReply>(new PathRequest(OpCode.GetAllChildrenNumber, path), path, default, null, cancellationToken);
    }

    /// <summary>The paths of this session's ephemeral nodes whose path starts with <paramref name="prefixPath"/> ("/" for all).</summary>
    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken cancellationToken = default)
    {
        if (prefixPath != "/")
        {
            // A prefix may end in '/' or in part of a name, like a sequential path.
            ZooKeeperPath.Validate(prefixPath, isSequential: true, nameof(prefixPath));
        }

        return _session.SendAsync<PathRequest, IReadOnlyList<string>, PathListReply>(new PathRequest(OpCode.GetEphemerals, prefixPath), prefixPath, default, null, cancellationToken);
    }

    /// <summary>The node's ACL and metadata.</summary>
    public ValueTask<AclResult> GetAclAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathRequest, AclResult, AclReply>(new PathRequest(OpCode.GetAcl, path), path, default, null, cancellationToken);
    }

    /// <summary>Waits until the server this client talks to has applied every write the leader committed before the call.</summary>
    public ValueTask<string> SyncAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<PathRequest, string, PathReply>(new PathRequest(OpCode.Sync, path), path, default, null, cancellationToken);
    }

    /// <summary>The identities the server associates with this session (whoAmI): e.g. ip:127.0.0.1 and digest user names.</summary>
    public ValueTask<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellationToken = default)
        => _session.SendAsync<EmptyRequest, IReadOnlyList<ClientInfo>, WhoAmIReply>(new EmptyRequest(OpCode.WhoAmI), null, default, null, cancellationToken);

    // ---------------------------------------------------------------- writes

    /// <summary>Sets the node's data if its version matches (-1: any) and returns the new metadata.</summary>
    public ValueTask<Stat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return _session.SendAsync<SetDataRequest, Stat, StatReply>(new SetDataRequest(path, data, version), path, default, null, cancellationToken);
    }

    /// <summary>Sets the node's ACL if its ACL version matches (-1: any).</summary>
    public ValueTask<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int aclVersion = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        ValidateAcl(acl);
        return _session.SendAsync<SetAclRequest, Stat, StatReply>(new SetAclRequest(path, acl, aclVersion), path, default, null, cancellationToken);
    }

    /// <summary>
    /// Runs operations as one transaction: all apply or none. On failure throws the typed exception of the failing
    /// operation with <see cref="ZooKeeperException.Results"/> (every operation's result) and
    /// <see cref="ZooKeeperException.FailedOperationIndex"/>.
    /// </summary>
    public ValueTask<IReadOnlyList<OpResult>> MultiAsync(IEnumerable<Op> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.ToArray();
        foreach (var op in ops)
        {
            if (op.IsRead)
            {
                throw new ArgumentException($"{op.GetType().Name} for {op.Path} is a read; use MultiReadAsync.", nameof(operations));
            }

            op.Validate();
        }

        return _session.SendAsync<MultiRequest, IReadOnlyList<OpResult>, MultiReply>(new MultiRequest(OpCode.Multi, ops), null, default, ops, cancellationToken);
    }

    /// <summary>Runs reads (<see cref="Op.GetData"/>, <see cref="Op.GetChildren"/>) in one round trip; each result is data, children or an <see cref="ErrorOpResult"/>.</summary>
    public ValueTask<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<Op> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.ToArray();
        foreach (var op in ops)
        {
            if (!op.IsRead)
            {
                throw new ArgumentException($"{op.GetType().Name} for {op.Path} is a write; use MultiAsync.", nameof(operations));
            }

            op.Validate();
        }

        return _session.SendAsync<MultiRequest, IReadOnlyList<OpResult>, MultiReply>(new MultiRequest(OpCode.MultiRead, ops), null, default, ops, cancellationToken);
    }

    // ---------------------------------------------------------------- watches

    /// <summary>Adds a persistent (optionally recursive) watch that stays until removed; re-registered after reconnects.</summary>
    public ValueTask AddWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        return Void(_session.SendAsync<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.AddWatch, path, (int)mode), path, Watch(kind, path, watcher), null, cancellationToken));
    }

    /// <summary>
    /// Removes watches of <paramref name="type"/> on the path: just <paramref name="watcher"/>, or all when null. The
    /// removed watchers receive a *WatchRemoved event. <see cref="NoWatcherException"/> when none matched. With
    /// <paramref name="local"/> the server is not asked (works while disconnected).
    /// </summary>
    public async ValueTask RemoveWatchesAsync(string path, WatcherType type, Action<WatchedEvent>? watcher = null, bool local = false, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var serverPath = _session.Chroot.ToServerPath(path);
        if (!_session.Watches.Contains(serverPath, type, watcher))
        {
            throw new NoWatcherException(path);
        }

        if (!local && _session.Watches.RemovalEmptiesPath(serverPath, type, watcher))
        {
            await _session.SendAsync<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.RemoveWatches, path, (int)type), path, default, null, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (w, removedType) in _session.Watches.Remove(serverPath, type, watcher))
        {
            _session.Dispatcher.Post(w, new WatchedEvent(removedType, KeeperState.SyncConnected, path));
        }
    }

    // ---------------------------------------------------------------- auth and lifetime

    /// <summary>Adds credentials to the session (kept and replayed on every reconnect). Awaits the server's answer.</summary>
    public Task AddAuthAsync(AuthInfo auth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auth);
        return _session.AddAuthAsync(auth, cancellationToken);
    }

    /// <summary>Adds digest credentials <c>user:password</c>.</summary>
    public Task AddDigestAuthAsync(string user, string password, CancellationToken cancellationToken = default)
        => AddAuthAsync(AuthInfo.Digest(user, password), cancellationToken);

    /// <summary>Closes the session on the server (its ephemeral nodes vanish at once) and stops the client.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default)
        => _session.CloseAsync(
            ct => _session.SendAsync<EmptyRequest, bool, NoReply>(new EmptyRequest(OpCode.CloseSession), null, default, null, ct).AsTask(),
            cancellationToken);

    /// <summary>Closes the session (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _session.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- helpers

    internal static void ValidateCreate(IReadOnlyList<Acl> acl, CreateMode mode, TimeSpan? ttl)
    {
        ValidateAcl(acl);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown create mode.");
        }

        if (mode.IsTtl())
        {
            if (ttl is null)
            {
                throw new ArgumentException($"Create mode {mode} needs a TTL.", nameof(ttl));
            }

            var ms = (long)ttl.Value.TotalMilliseconds;
            if (ms < 1 || ms > MaxTtlMilliseconds)
            {
                throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"A TTL must be between 1 ms and {MaxTtlMilliseconds} ms.");
            }
        }
        else if (ttl is not null)
        {
            throw new ArgumentException($"A TTL is only allowed with {CreateMode.PersistentWithTtl} or {CreateMode.PersistentSequentialWithTtl}, not {mode}.", nameof(ttl));
        }
    }

    internal static long TtlMilliseconds(CreateMode mode, TimeSpan? ttl) => mode.IsTtl() && ttl is { } t ? (long)t.TotalMilliseconds : -1;

    private static void ValidateAcl(IReadOnlyList<Acl> acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        if (acl.Count == 0)
        {
            throw new ArgumentException("An ACL must have at least one entry (ZooKeeper rejects empty ACLs with InvalidACL).", nameof(acl));
        }

        for (var i = 0; i < acl.Count; i++)
        {
            var id = acl[i].Id;
            if (id.Scheme is null || id.Id is null || !Utf8Text.IsEncodable(id.Scheme) || !Utf8Text.IsEncodable(id.Id))
            {
                throw new ArgumentException($"ACL entry {i} has a null scheme or id, or one with an unpaired surrogate that cannot be sent as UTF-8.", nameof(acl));
            }
        }
    }

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
