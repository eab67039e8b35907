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
/// semaphore): it holds while its node is among the first <see cref="Slots"/> in sequence order.
/// </summary>
/// <remarks>
/// <para><b>Nodes.</b> Every node this contender creates is named <c>{id}-{sequence}</c> with the contender's own random
/// <see cref="Id"/>, so all of them — also one whose create's reply was lost — are recognisable as its own. A round
/// keeps exactly one: it adopts the earliest of the client's current session and deletes the others, so no orphan of a
/// live session ever waits in the queue in front of its contender (or anyone else). A node of an older session is
/// never adopted, only deleted.</para>
/// <para><b>Watches.</b> The own node is always watched (holding or waiting): its deletion marks it gone at once
/// (<see cref="ContenderNode.MarkGone"/>, which ends the claim resting on it) and wakes the owner. With one slot a
/// waiter also watches the node just before its own (no herd when the holder leaves); with more it watches the
/// children.</para>
/// <para><b>Threads.</b> <see cref="EnsureNodeAsync"/> and <see cref="LookAsync"/> run on the owner's one loop, never
/// two at once. <see cref="DeleteAsync"/> and <see cref="Forget"/> may come from any thread: the current node is one
/// field swapped atomically, so exactly one caller lets go of a node. Watch callbacks only mark and wake.</para>
/// </remarks>
internal sealed class Contender
{
    private readonly ZooKeeperClient _client;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly IReadOnlyList<Acl> _acl;
    private readonly ZooKeeperRetryPolicy _retry;
    private readonly Action _wake;
    private readonly Action<WatchedEvent> _watcher;
    private readonly string _createPrefix;
    private readonly string _namePrefix;
    private ContenderNode? _node;
    private int _mayHaveUnknownNode;

    public Contender(ZooKeeperClient client, string parent, int slots, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, ZooKeeperRetryPolicy retry, Action wake)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _client = client;
        Parent = parent;
        Slots = slots;
        _data = data;
        _acl = acl;
        _retry = retry;
        _wake = wake;
        Id = ProtectedNodes.NewId();
        _namePrefix = Id + "-";
        _createPrefix = ZooKeeperPath.Combine(parent, _namePrefix);
        _watcher = OnWatch; // one delegate: re-arming the same watch never piles up watchers
    }

    public string Parent { get; }

    public int Slots { get; }

    /// <summary>The random id every node of this contender carries.</summary>
    public string Id { get; }

    /// <summary>The current node, or null when there is none.</summary>
    public ContenderNode? Node => Volatile.Read(ref _node);

    /// <summary>The node (absolute), or null when there is none.</summary>
    public string? Path => Node?.Path;

    /// <summary>The session that owns <see cref="Path"/> (0 when none).</summary>
    public long SessionId => Node?.SessionId ?? 0;

    /// <summary>The node's czxid: the fencing token. A later node of the same queue always has a larger one.</summary>
    public long Token => Node?.Token ?? 0;

    /// <summary>The first node in the queue at the last look (the leader / a holder), with its path.</summary>
    public string? First { get; private set; }

    /// <summary>True when there is a node of the client's current session that is not known to be gone.</summary>
    public bool HasCurrentNode => Node is { IsGone: false } node && node.SessionId != 0 && node.SessionId == _client.SessionId;

    /// <summary>
    /// Makes sure this contender has a node in the current session: keeps the one it has, else adopts one of its own
    /// that a create whose reply was lost made, else creates one. A node of an older session is dropped, never reused.
    /// </summary>
    public async Task EnsureNodeAsync(CancellationToken cancellationToken)
    {
        if (HasCurrentNode)
        {
            return;
        }

        Let(Node, "its session ended or it is gone");
        if (Volatile.Read(ref _mayHaveUnknownNode) != 0 && await ProtectedNodes.FindOwnAsync(_client, _createPrefix, cancellationToken).ConfigureAwait(false) is { } found)
        {
            Adopt(found);
            return;
        }

        // From here until the reply, a node may exist that this contender does not know: every later round, and the
        // clean-up when it gives up, look for it by its id.
        Volatile.Write(ref _mayHaveUnknownNode, 1);
        var created = await ProtectedNodes.CreateOrAdoptAsync(_client, _createPrefix, _data, _acl, _retry, cancellationToken).ConfigureAwait(false);
        Adopt(created);
    }

    /// <summary>One look at the queue; arms the watches that wake this contender when its standing may change.</summary>
    public async Task<QueueStanding> LookAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Node is not { IsGone: false } node)
            {
                return QueueStanding.Gone;
            }

            IReadOnlyList<string> children;
            try
            {
                children = await _client.GetChildrenAsync(Parent, Slots > 1 ? _watcher : null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                node.MarkGone("its queue's node was deleted");
                return QueueStanding.Gone;
            }

            var queue = ProtectedNodes.InQueueOrder(children);
            if (await KeepOneOwnNodeAsync(node, queue, cancellationToken).ConfigureAwait(false))
            {
                continue; // the own node changed: look again
            }

            First = queue.Count > 0 ? ZooKeeperPath.Combine(Parent, queue[0]) : null;
            var index = queue.IndexOf(ZooKeeperPath.GetName(node.Path));
            if (index < 0)
            {
                node.MarkGone("its node was deleted");
                return QueueStanding.Gone;
            }

            // The own node is watched in every standing: its deletion ends a claim at once and wakes a waiter.
            var own = WatchAsync(node.Path, cancellationToken);
            var before = index >= Slots && Slots == 1 ? WatchAsync(ZooKeeperPath.Combine(Parent, queue[index - 1]), cancellationToken) : null;
            var ownExists = await own.ConfigureAwait(false);
            var beforeExists = before is null || await before.ConfigureAwait(false);
            if (!ownExists)
            {
                node.MarkGone("its node was deleted");
                return QueueStanding.Gone;
            }

            if (index < Slots)
            {
                return QueueStanding.Holding;
            }

            if (beforeExists)
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
    /// Lets go of the node (the claim on it ends first) and deletes it: now when connected, else once the session
    /// reconnects (see <see cref="NodeJanitor"/>). Also removes a node a create whose reply was lost may have left. The
    /// node's unique name makes this safe at any time and from any thread.
    /// </summary>
    public Task DeleteAsync(CancellationToken cancellationToken)
    {
        var node = Interlocked.Exchange(ref _node, null);
        node?.MarkGone("its contender left the queue");
        var deleting = node is null ? Task.CompletedTask : NodeJanitor.DeleteAsync(_client, node.Path, node.SessionId, _retry.MaxDelay, cancellationToken);
        if (Interlocked.Exchange(ref _mayHaveUnknownNode, 0) != 0)
        {
            deleting = Task.WhenAll(deleting, ProtectedNodes.RemoveOwnAsync(_client, _createPrefix, _retry));
        }

        return deleting;
    }

    /// <summary>Lets go of the node without deleting it (it is gone, or went with its session).</summary>
    public void Forget() => Let(Node, "its contender let go of it");

    private void Let(ContenderNode? node, string reason)
    {
        if (node is not null && Interlocked.CompareExchange(ref _node, null, node) == node)
        {
            node.MarkGone(reason);
        }
    }

    private void Adopt(CreateResult created)
    {
        Volatile.Write(ref _node, new ContenderNode(created.Path, created.Stat.EphemeralOwner, created.Stat.Czxid));
        Volatile.Write(ref _mayHaveUnknownNode, 0);
    }

    /// <summary>
    /// Keeps one node of this contender in the queue: the earliest of the current session (adopted when it is not the
    /// current one); every other node carrying its id is deleted. True when the current node changed.
    /// </summary>
    private async Task<bool> KeepOneOwnNodeAsync(ContenderNode current, List<string> queue, CancellationToken cancellationToken)
    {
        // Every look passes here: the common case (its one node, nothing else with its id) allocates nothing.
        var currentName = ZooKeeperPath.GetName(current.Path);
        var (count, onlyCurrent) = (0, true);
        foreach (var name in queue)
        {
            if (name.StartsWith(_namePrefix, StringComparison.Ordinal))
            {
                count++;
                onlyCurrent &= name == currentName;
            }
        }

        if (count == 1 && onlyCurrent)
        {
            return false;
        }

        var mine = queue.Where(n => n.StartsWith(_namePrefix, StringComparison.Ordinal)).ToList();

        ContenderNode? keep = null;
        var extra = new List<string>();
        foreach (var name in mine)
        {
            var path = ZooKeeperPath.Combine(Parent, name);
            if (keep is null && name == currentName)
            {
                keep = current;
                continue;
            }

            if (keep is null && await _client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is { } stat && stat.EphemeralOwner == _client.SessionId && stat.EphemeralOwner != 0)
            {
                keep = new ContenderNode(path, stat.EphemeralOwner, stat.Czxid);
                continue;
            }

            extra.Add(path);
        }

        foreach (var path in extra)
        {
            await ProtectedNodes.DeleteIfThereAsync(_client, path, cancellationToken).ConfigureAwait(false);
        }

        if (keep is null || keep == current)
        {
            return false;
        }

        // An earlier node of this session (a create whose reply was lost): it is this contender's place in the queue.
        if (Interlocked.CompareExchange(ref _node, keep, current) != current)
        {
            return true; // let go of meanwhile: the next look sees it
        }

        current.MarkGone("its contender adopted an earlier node of its own");
        await ProtectedNodes.DeleteIfThereAsync(_client, current.Path, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private void OnWatch(WatchedEvent e)
    {
        if (Node is { } node && e.Path == node.Path)
        {
            if (e.Type == EventType.NodeDeleted)
            {
                node.MarkGone("its node was deleted");
            }
            else if (e.Type == EventType.NodeDataChanged)
            {
                _ = RearmAsync(node); // someone wrote to it: the one-shot watch is spent, and a holder has no loop to re-arm it
            }
        }

        _wake();
    }

    private async Task RearmAsync(ContenderNode node)
    {
        try
        {
            if (await _client.ExistsAsync(node.Path, _watcher).ConfigureAwait(false) is null)
            {
                node.MarkGone("its node was deleted");
            }
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // The session's state decides then; a new session gives up the node anyway.
        }
    }

    /// <summary>Arms a data watch on a node: false when the node does not exist (then nothing is armed).</summary>
    private async Task<bool> WatchAsync(string path, CancellationToken cancellationToken)
        => await ReadAsync(path, watch: true, cancellationToken).ConfigureAwait(false) is not null;
}
