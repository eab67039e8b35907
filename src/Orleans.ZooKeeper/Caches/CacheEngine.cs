using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Caches;

/// <summary>
/// The machinery behind <see cref="ZooKeeperTreeCache"/> and <see cref="ZooKeeperNodeCache"/>: one persistent
/// (recursive for a tree) watch, one loop that reads what the watch announces, and a full resync whenever watch events
/// may have been missed — after a reconnect (the server re-arms persistent watches without catch-up events) and after
/// a session expiry (the watch is gone and is registered again).
/// </summary>
internal sealed class CacheEngine : IAsyncDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly bool _recursive;
    private readonly ILogger _logger;
    private readonly Action<ZooKeeperCacheEvent> _publish;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<WatchedEvent> _watcher;
    private readonly EventHandler<ConnectionStateChange> _onState;
    private long _watchSession;
    private Task? _loop;
    private int _disposed;

    public CacheEngine(ZooKeeperClient client, string root, bool recursive, ILogger logger, Action<ZooKeeperCacheEvent> publish)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(root);
        _client = client;
        Root = root;
        _recursive = recursive;
        _logger = logger;
        _publish = publish;
        _watcher = e => _work.Writer.TryWrite(new Work(e.Type, e.Path, null));
        _onState = (_, change) => OnStateChanged(change);
    }

    public string Root { get; }

    public CacheStore Store { get; } = new();

    public bool IsInitialized => _initialized.Task.IsCompletedSuccessfully;

    /// <summary>Starts (once) and waits for the initial snapshot.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_work)
        {
            // Under the lock DisposeAsync marks itself with: a start never slips in after a dispose began.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_loop is null)
            {
                _client.StateChanged += _onState;
                _work.Writer.TryWrite(new Work(EventType.None, null, ZooKeeperCacheEventSource.Initial));
                _loop = Task.Run(RunAsync, CancellationToken.None);
            }
        }

        return _initialized.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_work)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
        }

        _client.StateChanged -= _onState;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _work.Writer.TryComplete();
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        _initialized.TrySetCanceled();
        try
        {
            // While disconnected only this client's registration goes (else a reconnect would re-arm it on the server).
            await _client.RemoveWatchesAsync(Root, WatcherType.Any, _watcher, local: _client.State != ConnectionState.Connected).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // Not registered (any more), or the session is going: nothing to remove.
        }
    }

    private void OnStateChanged(ConnectionStateChange change)
    {
        if (change.State != ConnectionState.Connected || !IsInitialized)
        {
            return; // SUSPENDED / LOST: nothing can be read; the CONNECTED that follows resyncs
        }

        if (change.SessionId != Interlocked.Read(ref _watchSession))
        {
            _work.Writer.TryWrite(new Work(EventType.None, null, ZooKeeperCacheEventSource.Resync, ZooKeeperCacheResyncReason.SessionExpired));
        }
        else if (change.PreviousState == ConnectionState.Suspended)
        {
            _work.Writer.TryWrite(new Work(EventType.None, null, ZooKeeperCacheEventSource.Resync, ZooKeeperCacheResyncReason.Reconnected));
        }
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        var batch = new List<Work>();
        try
        {
            while (await _work.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                batch.Clear();
                while (_work.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                try
                {
                    await ProcessAsync(batch, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ZooKeeperException or TimeoutException)
                {
                    CacheLog.ReadFailed(_logger, ex, Root);
                    _ = ResyncWhenConnectedAsync(batch.FirstOrDefault(w => w.Full is not null) ?? new Work(EventType.None, null, ZooKeeperCacheEventSource.Resync, ZooKeeperCacheResyncReason.Reconnected));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is ObjectDisposedException)
        {
            _initialized.TrySetException(ex); // the client was closed
        }
    }

    /// <summary>A full resync when the batch asks for one (it covers every event queued with it), else the events.</summary>
    private async Task ProcessAsync(List<Work> batch, CancellationToken cancellationToken)
    {
        var full = batch.FirstOrDefault(w => w.Full is not null);
        if (full is not null)
        {
            await FullReadAsync(full, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Each path once, at its last place in the batch: what is read reflects every event for it so far.
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            if (batch[i].Path is { } path && batch[i].Type is EventType.NodeCreated or EventType.NodeDeleted or EventType.NodeDataChanged && IsCovered(path) && seen.Add(path))
            {
                order.Add(path);
            }
        }

        order.Reverse();
        var reads = order.Select(p => ReadNodeAsync(p, cancellationToken)).ToList();
        await Task.WhenAll(reads).ConfigureAwait(false);
        var events = new List<ZooKeeperCacheEvent>();
        for (var i = 0; i < order.Count; i++)
        {
            Store.Apply(order[i], reads[i].Result, ZooKeeperCacheEventSource.Live, events);
        }

        Publish(events);
    }

    private bool IsCovered(string path) => path == Root || (_recursive && path.StartsWith(Root == "/" ? "/" : Root + "/", StringComparison.Ordinal));

    /// <summary>(Re-)registers the watch, reads the whole tree, and reports the difference.</summary>
    private async Task FullReadAsync(Work work, CancellationToken cancellationToken)
    {
        var sessionId = _client.SessionId;
        if (sessionId != Interlocked.Read(ref _watchSession) || sessionId == 0)
        {
            await _client.AddWatchAsync(Root, _recursive ? AddWatchMode.PersistentRecursive : AddWatchMode.Persistent, _watcher, cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _watchSession, sessionId);
        }

        var found = new Dictionary<string, ZooKeeperCachedNode>(StringComparer.Ordinal);
        var level = new List<string> { Root };
        while (level.Count > 0)
        {
            var nodes = level.Select(p => ReadNodeAsync(p, cancellationToken)).ToList();
            var children = level.Select(p => _recursive ? ReadChildrenAsync(p, cancellationToken) : Task.FromResult<IReadOnlyList<string>>([])).ToList();
            await Task.WhenAll(nodes.Cast<Task>().Concat(children)).ConfigureAwait(false);
            var next = new List<string>();
            for (var i = 0; i < level.Count; i++)
            {
                if (nodes[i].Result is { } node)
                {
                    found[level[i]] = node;
                    next.AddRange(children[i].Result.Select(c => ZooKeeperPath.Combine(level[i], c)));
                }
            }

            level = next;
        }

        var source = work.Full!.Value;
        var events = Store.Replace(found, source);
        if (source == ZooKeeperCacheEventSource.Initial)
        {
            events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Initialized, Root, null, null, source));
            Publish(events);
            CacheLog.Initialized(_logger, Root, found.Count);
            _initialized.TrySetResult();
            return;
        }

        var report = new ZooKeeperCacheResyncReport(
            work.Reason,
            events.Where(e => e.Type == ZooKeeperCacheEventType.Added).Select(e => e.Path).ToList(),
            events.Where(e => e.Type == ZooKeeperCacheEventType.Updated).Select(e => e.Path).ToList(),
            events.Where(e => e.Type == ZooKeeperCacheEventType.Removed).Select(e => e.Path).ToList());
        events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Resynced, Root, null, null, source, report));
        Publish(events);
        CacheLog.Resynced(_logger, Root, work.Reason.ToString(), report.Added.Count, report.Updated.Count, report.Removed.Count);
    }

    /// <summary>A node's data, or a node marked unreadable (no READ permission), or null when it does not exist.</summary>
    private async Task<ZooKeeperCachedNode?> ReadNodeAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return CacheStore.Read(path, await _client.GetDataAsync(path, null, cancellationToken).ConfigureAwait(false));
        }
        catch (NoNodeException)
        {
            return null;
        }
        catch (NoAuthException ex)
        {
            // exists needs no permission: keep the node's place and metadata, say why its data is missing.
            var stat = await _client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false);
            return stat is { } s ? new ZooKeeperCachedNode(path, [], s, "this session has no READ permission on the node (" + ex.Code + ")") : null;
        }
    }

    private async Task<IReadOnlyList<string>> ReadChildrenAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetChildrenAsync(path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NoNodeException or NoAuthException)
        {
            return [];
        }
    }

    /// <summary>Announces the events in order (the announcer runs the handlers and logs one that throws).</summary>
    private void Publish(List<ZooKeeperCacheEvent> events)
    {
        foreach (var e in events)
        {
            _publish(e);
        }
    }

    /// <summary>After a failed read: once connected again, read everything (the initial load too, if it was that).</summary>
    private async Task ResyncWhenConnectedAsync(Work full)
    {
        try
        {
            await _client.WaitUntilConnectedAsync(Timeout.InfiniteTimeSpan, _stopping.Token).ConfigureAwait(false);
            _work.Writer.TryWrite(full);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ZooKeeperException)
        {
            // Stopping.
        }
    }

    /// <summary>A watch event (Type/Path), or a full read (<see cref="Full"/> set).</summary>
    private sealed record Work(EventType Type, string? Path, ZooKeeperCacheEventSource? Full, ZooKeeperCacheResyncReason Reason = ZooKeeperCacheResyncReason.Reconnected);
}
