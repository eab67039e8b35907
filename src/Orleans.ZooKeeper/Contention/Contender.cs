using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Contention;

/// <summary>Where a contender stands after one look at its queue.</summary>
internal enum QueueStanding
{
    /// <summary>Among the first slots: it holds (leads, has the lock or a semaphore lease).</summary>
    Holding,

    /// <summary>Behind others; a watch will wake it when that may change.</summary>
    Waiting,

    /// <summary>Its node is gone (session expired, or deleted from outside): it needs a new one.</summary>
    Gone,
}

/// <summary>
/// One contender in a queue of ephemeral-sequential protected nodes under <see cref="Parent"/> (an election, a lock, a
/// semaphore): it holds while its node is among the first <see cref="Slots"/> in sequence order. With one slot it
/// watches only the node just before its own (no herd when the holder leaves); with more it watches the children.
/// A node is created per session and never reused in another session, and it carries a fresh random id, so deleting
/// it can never remove anyone else's node.
/// </summary>
internal sealed class Contender
{
    private readonly ZooKeeperClient _client;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly IReadOnlyList<Acl> _acl;
    private readonly ZooKeeperRetryPolicy _retry;
    private readonly Action<WatchedEvent> _watcher;

    public Contender(ZooKeeperClient client, string parent, int slots, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, ZooKeeperRetryPolicy retry, Action wake)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _client = client;
        Parent = parent;
        Slots = slots;
        _data = data;
        _acl = acl;
        _retry = retry;
        _watcher = _ => wake(); // one delegate: re-arming the same watch never piles up watchers
    }

    public string Parent { get; }

    public int Slots { get; }

    /// <summary>The node (absolute), or null when there is none.</summary>
    public string? Path { get; private set; }

    /// <summary>The session that owns <see cref="Path"/>.</summary>
    public long SessionId { get; private set; }

    /// <summary>The node's czxid: the fencing token. A later node of the same queue always has a larger one.</summary>
    public long Token { get; private set; }

    /// <summary>The first node in the queue at the last look (the leader / a holder), with its path.</summary>
    public string? First { get; private set; }

    /// <summary>True when there is a node of the client's current session.</summary>
    public bool HasCurrentNode => Path is not null && SessionId != 0 && SessionId == _client.SessionId;

    /// <summary>Creates this contender's node unless it has one in the current session (a node of an older session is dropped, never reused).</summary>
    public async Task EnsureNodeAsync(CancellationToken cancellationToken)
    {
        if (HasCurrentNode)
        {
            return;
        }

        Forget();
        var createPrefix = Parent + "/" + ProtectedNodes.NewId() + "-";
        CreateResult created;
        try
        {
            created = await ProtectedNodes.CreateOrAdoptAsync(_client, createPrefix, _data, _acl, _retry, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The create may have been sent and applied: make sure no node is left behind to block the queue.
            _ = RemoveLeftoverAsync(createPrefix);
            throw;
        }

        Path = created.Path;
        SessionId = created.Stat.EphemeralOwner;
        Token = created.Stat.Czxid;
    }

    /// <summary>One look at the queue; arms the watch that wakes this contender when its standing may change.</summary>
    public async Task<QueueStanding> LookAsync(CancellationToken cancellationToken)
    {
        var name = ZooKeeperPath.GetName(Path ?? throw new InvalidOperationException("no node"));
        while (true)
        {
            IReadOnlyList<string> children;
            try
            {
                children = await _client.GetChildrenAsync(Parent, Slots > 1 ? _watcher : null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                return QueueStanding.Gone;
            }

            var queue = ProtectedNodes.InQueueOrder(children);
            First = queue.Count > 0 ? ZooKeeperPath.Combine(Parent, queue[0]) : null;
            var index = queue.IndexOf(name);
            if (index < 0)
            {
                return QueueStanding.Gone;
            }

            if (index < Slots)
            {
                // Holding; the watch on the own node tells if it is deleted from outside.
                return await WatchAsync(Path!, cancellationToken).ConfigureAwait(false) ? QueueStanding.Holding : QueueStanding.Gone;
            }

            if (Slots > 1 || await WatchAsync(ZooKeeperPath.Combine(Parent, queue[index - 1]), cancellationToken).ConfigureAwait(false))
            {
                return QueueStanding.Waiting;
            }

            // The one before went meanwhile: look again.
        }
    }

    /// <summary>Reads a node's data, optionally arming this contender's watch on it; null when it does not exist.</summary>
    public async Task<DataResult?> ReadAsync(string path, bool watch, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetDataAsync(path, watch ? _watcher : null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Forgets the node and deletes it: now when connected, else once the session reconnects (see
    /// <see cref="NodeJanitor"/>). The node's unique name makes this safe at any time.
    /// </summary>
    public Task DeleteAsync(CancellationToken cancellationToken)
    {
        var (path, sessionId) = (Path, SessionId);
        Forget();
        return path is null ? Task.CompletedTask : NodeJanitor.DeleteAsync(_client, path, sessionId, _retry.MaxDelay, cancellationToken);
    }

    /// <summary>Forgets the node without deleting it.</summary>
    public void Forget()
    {
        Path = null;
        SessionId = 0;
        Token = 0;
    }

    /// <summary>Arms a data watch on a node: false when the node does not exist (then nothing is armed).</summary>
    private async Task<bool> WatchAsync(string path, CancellationToken cancellationToken)
        => await ReadAsync(path, watch: true, cancellationToken).ConfigureAwait(false) is not null;

    private async Task RemoveLeftoverAsync(string createPrefix)
    {
        try
        {
            await _retry.ExecuteAsync(
                async t =>
                {
                    if (await ProtectedNodes.FindOwnAsync(_client, createPrefix, t).ConfigureAwait(false) is { } leftover)
                    {
                        await _client.DeleteAsync(leftover.Path, -1, t).ConfigureAwait(false);
                    }
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // Ephemeral: it goes with the session at the latest.
        }
    }
}
