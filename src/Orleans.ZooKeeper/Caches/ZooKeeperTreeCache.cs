using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Caches;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// A local copy of a znode and everything below it, kept current by one persistent recursive watch
/// (<c>addWatch</c>, ZooKeeper 3.6+), with an initial snapshot and ordered change events.
/// </summary>
/// <remarks>
/// <para><b>Events</b> (<see cref="Changed"/>, <see cref="ChangesAsync"/>) come one at a time, in the order the changes
/// happened: first an Added for every node of the initial snapshot (parents first) and Initialized, then Added, Updated
/// and Removed as the watch reports changes. Several quick changes of one node may arrive as one event carrying the
/// latest data, never out of order: a node's events carry increasing modification zxids. Handlers run on the cache's
/// loop; a slow handler delays later events (never loses them).</para>
/// <para><b>Resync.</b> A persistent watch survives a reconnect, but the server sends no events for what changed while
/// the client was disconnected; after a session expiry the watch is gone. In both cases the cache reads the whole tree
/// again, emits the differences (source <see cref="ZooKeeperCacheEventSource.Resync"/>) and then one Resynced event
/// whose <see cref="ZooKeeperCacheEvent.Report"/> lists what was added, updated and removed meanwhile. Nodes are
/// compared by zxids, so a node deleted and created again while away is seen even when its version is the same.</para>
/// <para>A node this session may not read is kept with <see cref="ZooKeeperCachedNode.ReadError"/> set (its metadata
/// comes from <c>exists</c>, which needs no permission).</para>
/// </remarks>
public sealed class ZooKeeperTreeCache : IAsyncDisposable
{
    private readonly CacheEngine _engine;
    private readonly Announcer<ZooKeeperCacheEvent> _announcer;

    /// <summary>Creates a cache of <paramref name="path"/> (absolute) and its subtree; <see cref="StartAsync"/> fills it.</summary>
    public ZooKeeperTreeCache(ZooKeeperClient client, string path, ILogger? logger = null)
        : this(client, path, recursive: true, logger)
    {
    }

    internal ZooKeeperTreeCache(ZooKeeperClient client, string path, bool recursive, ILogger? logger)
    {
        logger ??= NullLogger.Instance;

        // Published from the cache's one loop: handlers run there, in order (the engine logs a handler that throws).
        _announcer = new(this, ex => CacheLog.HandlerFailed(logger, ex, path), inlineHandlers: true);
        _engine = new CacheEngine(client, path, recursive, logger, _announcer.Publish);
    }

    /// <summary>The cached subtree's root.</summary>
    public string Path => _engine.Root;

    /// <summary>True once the initial snapshot is in.</summary>
    public bool IsInitialized => _engine.IsInitialized;

    /// <summary>Raised for every change, in order, on the cache's loop.</summary>
    public event EventHandler<ZooKeeperCacheEvent>? Changed
    {
        add => _announcer.AddHandler(value);
        remove => _announcer.RemoveHandler(value);
    }

    /// <summary>Every event from the moment of this call on; ends when the cache is disposed.</summary>
    public IAsyncEnumerable<ZooKeeperCacheEvent> ChangesAsync(CancellationToken cancellationToken = default) => _announcer.Subscribe(cancellationToken);

    /// <summary>Registers the watch and waits for the initial snapshot (a missing root gives an empty one; it fills when the root appears).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _engine.StartAsync(cancellationToken);

    /// <summary>A cached node by absolute path, or null.</summary>
    public ZooKeeperCachedNode? Get(string path) => _engine.Store.Get(path);

    /// <summary>The names of a cached node's children (ordinal order).</summary>
    public IReadOnlyList<string> GetChildren(string path) => _engine.Store.ChildrenOf(path);

    /// <summary>A copy of every cached node, by absolute path.</summary>
    public IReadOnlyDictionary<string, ZooKeeperCachedNode> Snapshot() => _engine.Store.Copy();

    /// <summary>Removes the watch and stops; the event streams end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync().ConfigureAwait(false);
        await _announcer.CompleteAsync(TimeSpan.Zero).ConfigureAwait(false);
    }
}
