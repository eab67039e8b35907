using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>A node as a cache holds it.</summary>
/// <param name="Path">The absolute path.</param>
/// <param name="Data">The data (empty when unreadable).</param>
/// <param name="Stat">The metadata (default when unreadable).</param>
/// <param name="ReadError">Why the data could not be read (e.g. no READ permission for this session), else null.</param>
public sealed record ZooKeeperCachedNode(string Path, byte[] Data, Stat Stat, string? ReadError = null)
{
    /// <summary>True when the data was read.</summary>
    public bool IsReadable => ReadError is null;
}

/// <summary>What a cache event says.</summary>
public enum ZooKeeperCacheEventType
{
    /// <summary>A node appeared (or, in the initial snapshot, was there).</summary>
    Added,

    /// <summary>A node's data changed (its mzxid moved; also when the version number did not, e.g. after a delete and re-create elsewhere in the tree).</summary>
    Updated,

    /// <summary>A node went away. A node deleted and created again is reported as Removed, then Added.</summary>
    Removed,

    /// <summary>The initial snapshot is complete (after its Added events).</summary>
    Initialized,

    /// <summary>After a reconnect or a session expiry the cache compared itself with the server; <see cref="ZooKeeperCacheEvent.Report"/> says what changed while it was away.</summary>
    Resynced,
}

/// <summary>Where a node event comes from.</summary>
public enum ZooKeeperCacheEventSource
{
    /// <summary>The initial snapshot.</summary>
    Initial,

    /// <summary>A change seen live, through the watch.</summary>
    Live,

    /// <summary>A change found by a resync: it happened while the cache was disconnected or its session was gone.</summary>
    Resync,
}

/// <summary>Why a cache resynchronized.</summary>
public enum ZooKeeperCacheResyncReason
{
    /// <summary>The connection came back with the same session: watches were re-armed, but changes in between send no events.</summary>
    Reconnected,

    /// <summary>The session expired and a new one was made: the watch was registered again.</summary>
    SessionExpired,
}

/// <summary>What a resync found changed while the cache was away.</summary>
/// <param name="Reason">Why it ran.</param>
/// <param name="Added">Paths that appeared.</param>
/// <param name="Updated">Paths whose data changed.</param>
/// <param name="Removed">Paths that went away (a re-created node is in both Removed and Added).</param>
public sealed record ZooKeeperCacheResyncReport(
    ZooKeeperCacheResyncReason Reason,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Removed)
{
    /// <summary>True when nothing changed.</summary>
    public bool IsEmpty => Added.Count + Updated.Count + Removed.Count == 0;
}

/// <summary>One change of a cache, delivered in order.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Path">The node (the cache's root for <see cref="ZooKeeperCacheEventType.Initialized"/> and <see cref="ZooKeeperCacheEventType.Resynced"/>).</param>
/// <param name="Node">The node now (Added, Updated), else null.</param>
/// <param name="Previous">The node before (Updated, Removed), else null.</param>
/// <param name="Source">Where a node event comes from.</param>
/// <param name="Report">For <see cref="ZooKeeperCacheEventType.Resynced"/>: what changed while away.</param>
public sealed record ZooKeeperCacheEvent(
    ZooKeeperCacheEventType Type,
    string Path,
    ZooKeeperCachedNode? Node,
    ZooKeeperCachedNode? Previous,
    ZooKeeperCacheEventSource Source,
    ZooKeeperCacheResyncReport? Report = null);
