using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Locks;

namespace Orleans.ZooKeeper;

/// <summary>
/// A distributed mutual-exclusion lock: contenders queue as ephemeral-sequential nodes under <see cref="Path"/> and
/// the first one holds it (fair, first come first served; each waiter watches only the node before its own).
/// </summary>
/// <remarks>
/// <para><b>Not reentrant.</b> Async code has no thread identity to re-enter with: every
/// <see cref="AcquireAsync"/> call is a new contender, so acquiring again while holding waits for the lease you already
/// hold (until it is released or lost, or the call is cancelled). Pass the <see cref="ZooKeeperLease"/> along to the
/// code that needs it instead.</para>
/// <para><b>Safety.</b> Holding is decided by ZooKeeper (the first node in sequence order of a live session), and a
/// lease stops being valid the moment its session can no longer be trusted — see <see cref="ZooKeeperLease"/>. Work
/// that outlives a check of <see cref="ZooKeeperLease.IsValid"/> (a pause between the check and the write) is what
/// <see cref="ZooKeeperLease.FencingToken"/> is for. Cancelling or timing out a wait removes the waiter's node, also
/// when the create's reply was lost, so no orphan node blocks the queue.</para>
/// </remarks>
public sealed class ZooKeeperLock
{
    private readonly LeaseQueue _queue;

    /// <summary>Creates a lock on <paramref name="path"/> (absolute; created when missing).</summary>
    /// <param name="client">The session to contend with.</param>
    /// <param name="path">The lock's znode.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Logging.</param>
    public ZooKeeperLock(ZooKeeperClient client, string path, ZooKeeperLockOptions? options = null, ILogger? logger = null)
        : this(client, path, options, null, logger)
    {
    }

    internal ZooKeeperLock(ZooKeeperClient client, string path, ZooKeeperLockOptions? options, IReadOnlyList<Acl>? defaultAcl, ILogger? logger)
        => _queue = new LeaseQueue(client, path, 1, options, defaultAcl, logger ?? NullLogger.Instance);

    /// <summary>The lock's znode.</summary>
    public string Path => _queue.Path;

    /// <summary>Waits until the lock is held (or the token is cancelled, which removes this waiter).</summary>
    public async Task<ZooKeeperLease> AcquireAsync(CancellationToken cancellationToken = default)
        => (await _queue.AcquireAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Waits at most <paramref name="timeout"/>; null when the lock was not acquired by then.</summary>
    public Task<ZooKeeperLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => _queue.AcquireAsync(timeout, cancellationToken);
}
