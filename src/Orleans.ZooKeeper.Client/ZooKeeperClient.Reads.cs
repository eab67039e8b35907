using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client;

/// <summary>Reads, watches and session queries.</summary>
public sealed partial class ZooKeeperClient
{
    /// <summary>The node's metadata, or null when it does not exist. A watcher is armed either way (NodeCreated fires it when absent).</summary>
    public ValueTask<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathWatchRequest, Stat?, ExistsReply>(new PathWatchRequest(OpCode.Exists, path, watcher is not null), path, cancellationToken, Watch(WatchKind.DataOrExist, path, watcher));
    }

    /// <summary>The node's data and metadata; <see cref="NoNodeException"/> when missing. The watcher fires on data change or deletion.</summary>
    public ValueTask<DataResult> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathWatchRequest, DataResult, DataReply>(new PathWatchRequest(OpCode.GetData, path, watcher is not null), path, cancellationToken, Watch(WatchKind.Data, path, watcher));
    }

    /// <summary>The node's child names. The watcher fires when children change or the node is deleted.</summary>
    public ValueTask<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathWatchRequest, IReadOnlyList<string>, ChildrenReply>(new PathWatchRequest(OpCode.GetChildren, path, watcher is not null), path, cancellationToken, Watch(WatchKind.Child, path, watcher));
    }

    /// <summary>The node's child names and the node's metadata (getChildren2).</summary>
    public ValueTask<ChildrenResult> GetChildrenWithStatAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathWatchRequest, ChildrenResult, Children2Reply>(new PathWatchRequest(OpCode.GetChildren2, path, watcher is not null), path, cancellationToken, Watch(WatchKind.Child, path, watcher));
    }

    /// <summary>The number of all descendants of the node.</summary>
    public ValueTask<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathRequest, int, IntReply>(new PathRequest(OpCode.GetAllChildrenNumber, path), path, cancellationToken);
    }

    /// <summary>The paths of this session's ephemeral nodes whose path starts with <paramref name="prefixPath"/> ("/" for all).</summary>
    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken cancellationToken = default)
    {
        if (prefixPath != "/")
        {
            // A prefix may end in '/' or in part of a name, like a sequential path.
            ZooKeeperPath.Validate(prefixPath, isSequential: true, nameof(prefixPath));
        }

        return Send<PathRequest, IReadOnlyList<string>, PathListReply>(new PathRequest(OpCode.GetEphemerals, prefixPath), prefixPath, cancellationToken);
    }

    /// <summary>The node's ACL and metadata.</summary>
    public ValueTask<AclResult> GetAclAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathRequest, AclResult, AclReply>(new PathRequest(OpCode.GetAcl, path), path, cancellationToken);
    }

    /// <summary>Waits until the server this client talks to has applied every write the leader committed before the call.</summary>
    public ValueTask<string> SyncAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<PathRequest, string, PathReply>(new PathRequest(OpCode.Sync, path), path, cancellationToken);
    }

    /// <summary>The identities the server associates with this session (whoAmI): e.g. ip:127.0.0.1, digest user names, the x509 subject with mutual TLS.</summary>
    public ValueTask<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellationToken = default)
        => Send<EmptyRequest, IReadOnlyList<ClientInfo>, WhoAmIReply>(new EmptyRequest(OpCode.WhoAmI), null, cancellationToken);

    /// <summary>Runs reads (<see cref="Op.GetData"/>, <see cref="Op.GetChildren"/>) in one round trip; each result is data, children or an <see cref="ErrorOpResult"/>.</summary>
    public ValueTask<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<Op> operations, CancellationToken cancellationToken = default)
    {
        var ops = RequestValidation.ValidateOps(operations, reads: true);
        return Send<MultiRequest, IReadOnlyList<OpResult>, MultiReply>(new MultiRequest(OpCode.MultiRead, ops), null, cancellationToken, state: ops);
    }

    /// <summary>Adds a persistent (optionally recursive) watch that stays until removed; re-registered after reconnects.</summary>
    public ValueTask AddWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        return Void(Send<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.AddWatch, path, (int)mode), path, cancellationToken, Watch(kind, path, watcher)));
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
            await Send<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.RemoveWatches, path, (int)type), path, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (w, removedType) in _session.Watches.Remove(serverPath, type, watcher))
        {
            _session.Dispatcher.Post(w, new WatchedEvent(removedType, KeeperState.SyncConnected, path));
        }
    }
}
