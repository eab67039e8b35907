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
        if (!_participating)
        {
            _ = LeaveQueueAsync(CancellationToken.None); // at once when connected, else once reconnected
            return;
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

        var sessionId = _contender.SessionId;
        if (_term is { HasEnded: false } current && current.SessionId == sessionId && current.Token == _contender.Token)
        {
            return; // still the same term
        }

        lock (_lock)
        {
            if (!_participating || _client.GetSessionLease(sessionId) <= TimeSpan.Zero || _client.State != ConnectionState.Connected)
            {
                return;
            }

            var term = new SessionClaim(_client, sessionId, _contender.Token, _contender.Path!, _options.SuspensionPolicy, OnTermEnded);
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
        Announce(false, term.Token, term.EndReason ?? "leadership ended");
        _wake.Set();
    }

    /// <summary>Deletes this participant's node, if it has one in the current session (see <see cref="Contender.DeleteAsync"/>).</summary>
    private Task LeaveQueueAsync(CancellationToken cancellationToken)
    {
        if (_contender.HasCurrentNode)
        {
            return _contender.DeleteAsync(cancellationToken);
        }

        _contender.Forget();
        return Task.CompletedTask;
    }

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
