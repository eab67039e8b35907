namespace Orleans.ZooKeeper.Testing;

/// <summary>What a server's <c>srvr</c> four-letter word reports as <c>Mode:</c>.</summary>
public enum ZooKeeperMode
{
    /// <summary>Not reachable, not running, or reachable but not serving requests (e.g. during leader election).</summary>
    NotServing,

    /// <summary><c>Mode: standalone</c>.</summary>
    Standalone,

    /// <summary><c>Mode: leader</c>.</summary>
    Leader,

    /// <summary><c>Mode: follower</c>.</summary>
    Follower,

    /// <summary><c>Mode: observer</c>.</summary>
    Observer,

    /// <summary><c>Mode: read-only</c> (an ensemble node without quorum, with read-only mode enabled).</summary>
    ReadOnly,

    /// <summary>Some other <c>Mode:</c> value.</summary>
    Unknown,
}
