using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;
using Orleans.ZooKeeper.Locks;

namespace Orleans.ZooKeeper;

/// <summary>
/// A held <see cref="ZooKeeperLock"/> or <see cref="ZooKeeperSemaphore"/> lease. Check <see cref="IsValid"/> before
/// each protected action (or stop when <see cref="Lost"/> is cancelled) and pass <see cref="FencingToken"/> to the
/// resource, which should refuse writes carrying a smaller token than one it has seen. Dispose (or
/// <see cref="ReleaseAsync"/>) to release.
/// </summary>
/// <remarks>
/// A lease is given up — <see cref="IsValid"/> turns false for good and <see cref="Lost"/> is cancelled — when the
/// connection is SUSPENDED (under <see cref="ZooKeeperSuspensionPolicy.GiveUp"/>, the default), when the session is
/// LOST or expires, when the session lease (<see cref="ZooKeeperClient.GetSessionLease"/>) runs out (e.g. the process
/// was frozen), and when its node is deleted from outside — the lease watches its own node, and the deletion ends it
/// before this client sees anything that happened after it (ZooKeeper delivers a watch event before the replies that
/// follow it, and so does this client), so no contender of the same client can be granted while it still looks valid. A lost lease is never valid again: acquire anew. Its node
/// is deleted as soon as the connection allows, so waiting contenders need not wait for the session to expire.
/// </remarks>
public sealed class ZooKeeperLease : IAsyncDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly Contender _contender;
    private readonly SessionClaim _claim;
    private readonly ILogger _logger;
    private readonly EventHandler<ConnectionStateChange> _onState;
    private int _released;
    private Task? _deletion;

    internal ZooKeeperLease(ZooKeeperClient client, Contender contender, ContenderNode node, ZooKeeperSuspensionPolicy policy, ILogger logger)
    {
        _client = client;
        _contender = contender;
        _logger = logger;
        Path = node.Path;
        LockLog.Acquired(logger, Path, node.Token, node.SessionId);
        _claim = new SessionClaim(client, node, policy, OnEnded); // ends at once when the node is already gone
        _onState = (_, change) => OnStateChanged(change);
        client.StateChanged += _onState; // what happened before is seen by IsValid's own checks
    }

    /// <summary>The lease's node (absolute path).</summary>
    public string Path { get; }

    /// <summary>
    /// The node's creation zxid. For a lock, every later holder's token is larger; for a semaphore, every later
    /// lease's token is larger. Pass it along with every protected write.
    /// </summary>
    public long FencingToken => _claim.Token;

    /// <summary>The ZooKeeper session the lease belongs to.</summary>
    public long SessionId => _claim.SessionId;

    /// <summary>True while the lease provably holds (checked on the spot, see the remarks); once false, false for good.</summary>
    public bool IsValid => _claim.IsValid;

    /// <summary>Cancelled when the lease is lost or released (its callbacks run on the thread pool).</summary>
    public CancellationToken Lost => _claim.Ended;

    /// <summary>Why the lease ended (null while it holds).</summary>
    public string? LostReason => _claim.EndReason;

    /// <summary>
    /// Releases the lease: it stops being valid at once and its node is deleted — awaited when connected; while the
    /// connection is down the deletion happens as soon as it is back (or the node goes with the session), without
    /// holding up this call.
    /// </summary>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _claim.End("released");
        _client.StateChanged -= _onState;
        if (_client.State == ConnectionState.Connected && Volatile.Read(ref _deletion) is { } deletion)
        {
            await deletion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        LockLog.Released(_logger, Path, FencingToken);
    }

    /// <summary>Releases the lease (see <see cref="ReleaseAsync"/>).</summary>
    public ValueTask DisposeAsync() => ReleaseAsync();

    private void OnStateChanged(ConnectionStateChange change) => _claim.OnStateChanged(change);

    /// <summary>However the lease ended, its node must go so the queue moves on without waiting for the session to expire.</summary>
    private void OnEnded(SessionClaim claim)
    {
        if (claim.EndReason != "released")
        {
            LockLog.Lost(_logger, Path, claim.Token, claim.EndReason ?? "unknown");
        }

        Volatile.Write(ref _deletion, _contender.DeleteAsync(CancellationToken.None));
    }
}
