using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>Settings of a <see cref="ZooKeeperLock"/> or <see cref="ZooKeeperSemaphore"/>.</summary>
public sealed class ZooKeeperLockOptions
{
    /// <summary>What a lease does when the connection drops; default <see cref="ZooKeeperSuspensionPolicy.GiveUp"/>.</summary>
    public ZooKeeperSuspensionPolicy SuspensionPolicy { get; set; } = ZooKeeperSuspensionPolicy.GiveUp;

    /// <summary>Retries of the ZooKeeper operations behind acquiring and releasing; default <see cref="ZooKeeperRetryPolicy.Default"/>.</summary>
    public ZooKeeperRetryPolicy RetryPolicy { get; set; } = ZooKeeperRetryPolicy.Default;

    /// <summary>
    /// Data stored in the contender's node, so operators can see who holds or waits (zkCli <c>get</c>); default: this
    /// machine's name and process id. Never secret: every session that can read the lock path can read it.
    /// </summary>
    public ReadOnlyMemory<byte>? ContenderData { get; set; }

    /// <summary>The ACL of the nodes created; default: the container's node ACL (creator-only with credentials), or open for a bare client.</summary>
    public IReadOnlyList<Acl>? Acl { get; set; }
}
