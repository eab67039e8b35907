using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Contention;

/// <summary>
/// A belief that rests on one ZooKeeper session and one node — "I lead", "I hold this lock" — held for as long as it is
/// provably safe, and once given up never true again. It holds while all of these do: it was not ended; its node is
/// not known to be gone (deleted from outside, or let go of by its contender: <see cref="ContenderNode"/>); the
/// client still runs the session that owns the node; the session lease (<see cref="ZooKeeperClient.GetSessionLease"/>) has not run out,
/// so the server cannot have expired the session and handed the node's place to someone else; and, under
/// <see cref="ZooKeeperSuspensionPolicy.GiveUp"/>, the client is CONNECTED. Every read of <see cref="IsValid"/>
/// checks all of them on the spot (no event has to arrive first) and ends the claim when one fails.
/// </summary>
internal sealed class SessionClaim
{
    private readonly ZooKeeperClient _client;
    private readonly ContenderNode _node;
    private readonly ZooKeeperSuspensionPolicy _policy;
    private readonly Action<SessionClaim> _onEnded;
    private readonly CancellationTokenSource _ended = new();
    private int _isEnded;
    private string? _endReason;

    /// <param name="client">The client whose session owns the node.</param>
    /// <param name="node">The node the claim rests on; the claim ends when it goes (at once when it already has).</param>
    /// <param name="policy">What SUSPENDED means.</param>
    /// <param name="onEnded">Called once, on the thread that ended the claim (keep it short); when the node is already gone, before this constructor returns.</param>
    public SessionClaim(ZooKeeperClient client, ContenderNode node, ZooKeeperSuspensionPolicy policy, Action<SessionClaim> onEnded)
    {
        _client = client;
        _node = node;
        _policy = policy;
        _onEnded = onEnded;
        node.Attach(this);
    }

    public long SessionId => _node.SessionId;

    public long Token => _node.Token;

    public string Path => _node.Path;

    /// <summary>Why it ended (null while it holds).</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>Cancelled when the claim ends (callbacks run asynchronously, never inside <see cref="IsValid"/>).</summary>
    public CancellationToken Ended => _ended.Token;

    public bool HasEnded => Volatile.Read(ref _isEnded) != 0;

    /// <summary>True while the claim provably holds; the first false ends it for good.</summary>
    public bool IsValid
    {
        get
        {
            if (HasEnded)
            {
                return false;
            }

            if (WhyNotValid() is { } reason)
            {
                End(reason);
                return false;
            }

            return true;
        }
    }

    /// <summary>
    /// Ends the claim (idempotent); true for the call that ended it. Whichever call returns — also one that lost the
    /// race to another thread ending it at the same moment (a release meeting a deletion from outside) — returns with
    /// <see cref="IsValid"/> false, <see cref="Ended"/> cancelled and <see cref="EndReason"/> set.
    /// </summary>
    public bool End(string reason)
    {
        Interlocked.CompareExchange(ref _endReason, reason, null);
        var first = Interlocked.Exchange(ref _isEnded, 1) == 0;

        // The state turns cancelled here, on every caller's thread; the token's callbacks run on the thread pool.
        _ = _ended.CancelAsync();
        if (first)
        {
            _onEnded(this);
        }

        return first;
    }

    /// <summary>
    /// Follows the client's state: LOST ends the claim; SUSPENDED ends it under <see cref="ZooKeeperSuspensionPolicy.GiveUp"/>
    /// and otherwise starts watching the clock until the session lease runs out or the connection is back.
    /// </summary>
    public void OnStateChanged(ConnectionStateChange change)
    {
        switch (change.State)
        {
            case ConnectionState.Lost:
                End(change.KeeperState == KeeperState.Closed ? "the client was closed" : "the session was lost (" + change.KeeperState + ")");
                break;
            case ConnectionState.Suspended when _policy == ZooKeeperSuspensionPolicy.GiveUp:
                End("the connection to ZooKeeper was suspended");
                break;
            case ConnectionState.Suspended:
                _ = WatchLeaseAsync();
                break;
        }
    }

    private string? WhyNotValid()
    {
        if (_node.GoneReason is { } gone)
        {
            return gone;
        }

        if (_client.SessionId != SessionId)
        {
            return "the session was lost";
        }

        if (_client.GetSessionLease(SessionId) <= TimeSpan.Zero)
        {
            return "the session lease ran out (the server may have expired the session)";
        }

        if (_policy == ZooKeeperSuspensionPolicy.GiveUp && _client.State != ConnectionState.Connected)
        {
            return "the connection to ZooKeeper was suspended";
        }

        return null;
    }

    /// <summary>While SUSPENDED under the keep policy: ends the claim the moment the session lease runs out.</summary>
    private async Task WatchLeaseAsync()
    {
        while (!HasEnded && _client.State == ConnectionState.Suspended)
        {
            var remaining = _client.GetSessionLease(SessionId);
            if (remaining <= TimeSpan.Zero)
            {
                _ = IsValid; // ends it with the reason
                return;
            }

            try
            {
                await Task.Delay(remaining + TimeSpan.FromMilliseconds(5), Ended).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
