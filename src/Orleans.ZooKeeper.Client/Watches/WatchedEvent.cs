namespace Orleans.ZooKeeper.Client;

/// <summary>What happened to a watched node (Watcher.Event.EventType).</summary>
public enum EventType
{
    /// <summary>Not about a node: a session state change (e.g. expiry ends every watch).</summary>
    None = -1,

    /// <summary>The node was created.</summary>
    NodeCreated = 1,

    /// <summary>The node was deleted.</summary>
    NodeDeleted = 2,

    /// <summary>The node's data changed.</summary>
    NodeDataChanged = 3,

    /// <summary>The node's children changed.</summary>
    NodeChildrenChanged = 4,

    /// <summary>A data watch was removed.</summary>
    DataWatchRemoved = 5,

    /// <summary>A child watch was removed.</summary>
    ChildWatchRemoved = 6,

    /// <summary>A persistent watch was removed.</summary>
    PersistentWatchRemoved = 7,
}

/// <summary>Which kind of watch to remove or check.</summary>
public enum WatcherType
{
    /// <summary>Child watches.</summary>
    Children = 1,

    /// <summary>Data and exist watches.</summary>
    Data = 2,

    /// <summary>Every kind, persistent watches included.</summary>
    Any = 3,
}

/// <summary>Modes of <c>addWatch</c>.</summary>
public enum AddWatchMode
{
    /// <summary>Data and child changes of the node itself, until removed.</summary>
    Persistent = 0,

    /// <summary>Created, deleted and data-changed events for the node and every descendant, until removed.</summary>
    PersistentRecursive = 1,
}

/// <summary>A watch notification.</summary>
/// <param name="Type">What happened.</param>
/// <param name="State">The keeper state when it happened.</param>
/// <param name="Path">The node's path relative to the chroot; null for session events.</param>
public sealed record WatchedEvent(EventType Type, KeeperState State, string? Path);
