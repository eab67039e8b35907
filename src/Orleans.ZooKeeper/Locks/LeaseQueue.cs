using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;

namespace Orleans.ZooKeeper.Locks;

/// <summary>
/// Acquiring a place among the first <see cref="Slots"/> contenders under a path: what <see cref="ZooKeeperLock"/>
/// (one slot) and <see cref="ZooKeeperSemaphore"/> (several) share.
/// </summary>
internal sealed class LeaseQueue
{
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLockOptions _options;
    private readonly IReadOnlyList<Acl> _acl;
    private readonly ILogger _logger;
    private readonly ReadOnlyMemory<byte> _data;

    public LeaseQueue(ZooKeeperClient client, string path, int slots, ZooKeeperLockOptions? options, IReadOnlyList<Acl>? defaultAcl, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _client = client;
        Path = path;
        Slots = slots;
        _options = options ?? new ZooKeeperLockOptions();
        _acl = _options.Acl ?? defaultAcl ?? Acls.OpenUnsafe;
        _logger = logger;
        _data = _options.ContenderData ?? Encoding.UTF8.GetBytes($"{Environment.MachineName} pid {Environment.ProcessId}");
    }

    public string Path { get; }

    public int Slots { get; }

    /// <summary>Waits for a lease; null when <paramref name="timeout"/> passed first (infinite: never null).</summary>
    public async Task<ZooKeeperLease?> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
            deadline.CancelAfter(timeout);
        }

        var wake = new WakeSignal();
        var contender = new Contender(_client, Path, Slots, _data, _acl, _options.RetryPolicy, wake.Set);
        EventHandler<ConnectionStateChange> onState = (_, _) => wake.Set();
        _client.StateChanged += onState;
        try
        {
            while (true)
            {
                var woken = wake.Arm();
                if (await TryHoldAsync(contender, wake, deadline.Token).ConfigureAwait(false) && contender.Node is { } node)
                {
                    var lease = new ZooKeeperLease(_client, contender, node, _options.SuspensionPolicy, _logger);
                    if (lease.IsValid)
                    {
                        return lease;
                    }

                    // Lost between the look and now (the connection dropped, the node was deleted): the lease deleted
                    // its node; queue anew.
                    contender = new Contender(_client, Path, Slots, _data, _acl, _options.RetryPolicy, wake.Set);
                    continue;
                }

                await woken.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            _ = contender.DeleteAsync(CancellationToken.None); // never blocks the queue, also when cancelled while disconnected
            return null;
        }
        catch
        {
            _ = contender.DeleteAsync(CancellationToken.None); // never blocks the queue, also when cancelled while disconnected
            throw;
        }
        finally
        {
            _client.StateChanged -= onState;
        }
    }

    /// <summary>One round: ensure the node, look at the queue. True when holding on a connected, current session.</summary>
    private async Task<bool> TryHoldAsync(Contender contender, WakeSignal wake, CancellationToken cancellationToken)
    {
        try
        {
            await contender.EnsureNodeAsync(cancellationToken).ConfigureAwait(false);
            var standing = await contender.LookAsync(cancellationToken).ConfigureAwait(false);
            if (standing == QueueStanding.Gone)
            {
                // The node's place is lost: the next round makes a new one. Nothing else would wake it (no watch is
                // armed on a node that is gone), so it wakes itself.
                contender.Forget();
                wake.Set();
                return false;
            }

            // Holding counts only when nothing happened to the session meanwhile; else the next round looks again.
            return standing == QueueStanding.Holding && contender.HasCurrentNode && _client.State == ConnectionState.Connected
                && _client.GetSessionLease(contender.SessionId) > TimeSpan.Zero;
        }
        catch (ZooKeeperException ex) when (ZooKeeperRetryPolicy.IsTransient(ex) || ex is SessionExpiredException)
        {
            LockLog.Transient(_logger, ex, Path);
            await Task.Delay(_options.RetryPolicy.InitialDelay, cancellationToken).ConfigureAwait(false);
            wake.Set(); // another round (requests made while SUSPENDED wait for the connection)
            return false;
        }
    }
}
