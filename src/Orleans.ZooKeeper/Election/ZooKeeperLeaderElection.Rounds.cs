using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;
using Orleans.ZooKeeper.Election;

namespace Orleans.ZooKeeper;

// The election's one loop: every round looks at the queue afresh (woken by watches, state changes and the
// periodic recheck), so a stale callback can never decide anything (apache/curator#1160, #1169, #1211).
public sealed partial class ZooKeeperLeaderElection
{
    private async Task RunRoundsAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var woken = _wake.Arm();
            try
            {
                await _gate.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    await RoundAsync(stopping).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }

                var recheck = _options.RecheckInterval;
                await (recheck == Timeout.InfiniteTimeSpan ? woken : Task.WhenAny(woken, Task.Delay(recheck, stopping))).WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is ZooKeeperException zk && (ZooKeeperRetryPolicy.IsTransient(zk) || zk is SessionExpiredException))
            {
                ElectionLog.Transient(_logger, ex, Path);
                await PauseAsync(_options.RetryPolicy.InitialDelay, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not ObjectDisposedException)
            {
                ElectionLog.RoundFailed(_logger, ex, Path);
                await PauseAsync(_options.RetryPolicy.MaxDelay, stopping).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return; // the container's client was closed under us
            }
        }
    }

    /// <summary>One look at the election: make sure of the own node, see who is first, start or end a term.</summary>
    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        int generation;
        lock (_lock)
        {
            if (!_participating)
            {
                _term?.End("not taking part");
                _ = LeaveQueueAsync(CancellationToken.None); // at once when connected, else once reconnected
                return;
            }

            generation = _generation;
        }

        if (_client.State != ConnectionState.Connected)
        {
            return; // CONNECTED wakes the next round
        }

        await _contender.EnsureNodeAsync(cancellationToken).ConfigureAwait(false);
        var standing = await _contender.LookAsync(cancellationToken).ConfigureAwait(false);
        if (standing == QueueStanding.Gone)
        {
            EndTerm("this participant's election node is gone");
            _contender.Forget();
            _wake.Set(); // queue up again with a new node
            return;
        }

        await SeeLeaderAsync(standing == QueueStanding.Holding, cancellationToken).ConfigureAwait(false);
        if (standing == QueueStanding.Waiting)
        {
            EndTerm("another participant is first");
            Announce(false, 0, "another participant leads");
            return;
        }

        if (_contender.Node is not { } node || (_term is { HasEnded: false } current && current.Path == node.Path && current.SessionId == node.SessionId))
        {
            return; // no node any more (let go of meanwhile), or still the same term
        }

        if (TestPoint is { } point)
        {
            await point("looked").ConfigureAwait(false);
        }

        lock (_lock)
        {
            // StepDown/StopAsync since this round began, or the node let go of, or the session in doubt: no term.
            if (!_participating || generation != _generation || node.IsGone || _contender.Node != node
                || _client.GetSessionLease(node.SessionId) <= TimeSpan.Zero || _client.State != ConnectionState.Connected)
            {
                return;
            }

            // Under _lock, so a term that ends at once (its node went meanwhile) announces its FOLLOWER! after this.
            var term = new SessionClaim(_client, node, _options.SuspensionPolicy, OnTermEnded);
            if (!term.IsValid)
            {
                return;
            }

            _term = term;
            Announce(true, term.Token, "first in the election");
        }
    }

    /// <summary>Reads the first node (the leader); followers also watch it, so <see cref="Leader"/> stays current.</summary>
    private async Task SeeLeaderAsync(bool self, CancellationToken cancellationToken)
    {
        if (_contender.First is not { } first)
        {
            _leader = null;
            return;
        }

        if (_leader is { } known && known.Path == first)
        {
            return;
        }

        var read = await _contender.ReadAsync(first, watch: !self, cancellationToken).ConfigureAwait(false);
        _leader = read is { } r ? new ZooKeeperLeaderInfo(first, r.Stat.Czxid, r.Data, self) : null;
    }

    private void EndTerm(string reason) => _term?.End(reason);

    private void OnTermEnded(SessionClaim term)
    {
        ElectionLog.TermEnded(_logger, Path, ParticipantId, term.Token, term.EndReason ?? "leadership ended");
        Announce(false, 0, term.EndReason ?? "leadership ended");
        _wake.Set();
    }

    /// <summary>Lets go of this participant's node (any term on it ends first) and deletes it (see <see cref="Contender.DeleteAsync"/>).</summary>
    private Task LeaveQueueAsync(CancellationToken cancellationToken) => _contender.DeleteAsync(cancellationToken);

    private static async Task PauseAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
