using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Locks;

namespace Orleans.ZooKeeper;

/// <summary>
/// A distributed counting semaphore: at most <see cref="MaxLeases"/> leases are held at once, granted in request
/// order. Every participant must use the same <see cref="MaxLeases"/> for a path. Leases behave as the lock's do
/// (see <see cref="ZooKeeperLease"/>; not reentrant: each call takes a lease of its own).
/// </summary>
public sealed class ZooKeeperSemaphore
{
    private readonly LeaseQueue _queue;

    /// <summary>Creates a semaphore on <paramref name="path"/> (absolute; created when missing).</summary>
    /// <param name="client">The session to contend with.</param>
    /// <param name="path">The semaphore's znode.</param>
    /// <param name="maxLeases">How many leases may be held at once (at least 1).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Logging.</param>
    public ZooKeeperSemaphore(ZooKeeperClient client, string path, int maxLeases, ZooKeeperLockOptions? options = null, ILogger? logger = null)
        : this(client, path, maxLeases, options, null, logger)
    {
    }

    internal ZooKeeperSemaphore(ZooKeeperClient client, string path, int maxLeases, ZooKeeperLockOptions? options, IReadOnlyList<Acl>? defaultAcl, ILogger? logger)
        => _queue = new LeaseQueue(client, path, maxLeases, options, defaultAcl, logger ?? NullLogger.Instance);

    /// <summary>The semaphore's znode.</summary>
    public string Path => _queue.Path;

    /// <summary>How many leases may be held at once.</summary>
    public int MaxLeases => _queue.Slots;

    /// <summary>Waits until a lease is granted (or the token is cancelled, which removes this waiter).</summary>
    public async Task<ZooKeeperLease> AcquireAsync(CancellationToken cancellationToken = default)
        => (await _queue.AcquireAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Waits at most <paramref name="timeout"/>; null when no lease was granted by then.</summary>
    public Task<ZooKeeperLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => _queue.AcquireAsync(timeout, cancellationToken);
}
