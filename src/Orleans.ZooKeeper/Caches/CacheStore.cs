using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Caches;

/// <summary>
/// The nodes a cache holds, and the events that turn one state into the next. Nodes are compared by creation and
/// modification zxid, never by version (a deleted and re-created node starts at version 0 again, apache/curator#911).
/// Removals come deepest first, additions parents first. Thread-safe: readers get copies.
/// </summary>
internal sealed class CacheStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ZooKeeperCachedNode> _nodes = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    public ZooKeeperCachedNode? Get(string path)
    {
        lock (_lock)
        {
            return _nodes.GetValueOrDefault(path);
        }
    }

    public Dictionary<string, ZooKeeperCachedNode> Copy()
    {
        lock (_lock)
        {
            return new Dictionary<string, ZooKeeperCachedNode>(_nodes, StringComparer.Ordinal);
        }
    }

    /// <summary>The names of a node's cached children, in ordinal order.</summary>
    public List<string> ChildrenOf(string path)
    {
        var prefix = path == "/" ? "/" : path + "/";
        lock (_lock)
        {
            var names = _nodes.Keys.Where(k => k.Length > prefix.Length && k.StartsWith(prefix, StringComparison.Ordinal) && k.IndexOf('/', prefix.Length) < 0)
                .Select(k => k[prefix.Length..]).ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <summary>Makes the store equal <paramref name="found"/> (a full read of the tree) and returns the events, in order.</summary>
    public List<ZooKeeperCacheEvent> Replace(IReadOnlyDictionary<string, ZooKeeperCachedNode> found, ZooKeeperCacheEventSource source)
    {
        var events = new List<ZooKeeperCacheEvent>();
        lock (_lock)
        {
            foreach (var path in _nodes.Keys.Where(p => !found.TryGetValue(p, out var now) || now.Stat.Czxid != _nodes[p].Stat.Czxid).OrderByDescending(p => p, StringComparer.Ordinal).ToList())
            {
                events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Removed, path, null, _nodes[path], source));
                _nodes.Remove(path);
            }

            foreach (var (path, node) in found.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                AddOrUpdate(path, node, source, events);
            }
        }

        return events;
    }

    /// <summary>Applies what a read of one node found (null: it does not exist) and returns the events.</summary>
    public void Apply(string path, ZooKeeperCachedNode? node, ZooKeeperCacheEventSource source, List<ZooKeeperCacheEvent> events)
    {
        lock (_lock)
        {
            var cached = _nodes.GetValueOrDefault(path);
            if (cached is not null && (node is null || node.Stat.Czxid != cached.Stat.Czxid))
            {
                // Gone (or replaced): descendants cannot outlive it.
                var prefix = path == "/" ? "/" : path + "/";
                foreach (var gone in _nodes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != path).OrderByDescending(k => k, StringComparer.Ordinal).Append(path).ToList())
                {
                    events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Removed, gone, null, _nodes[gone], source));
                    _nodes.Remove(gone);
                }
            }

            if (node is not null)
            {
                AddOrUpdate(path, node, source, events);
            }
        }
    }

    private void AddOrUpdate(string path, ZooKeeperCachedNode node, ZooKeeperCacheEventSource source, List<ZooKeeperCacheEvent> events)
    {
        if (!_nodes.TryGetValue(path, out var cached))
        {
            _nodes[path] = node;
            events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Added, path, node, null, source));
        }
        else if (IsNewer(node, cached))
        {
            _nodes[path] = node;
            events.Add(new ZooKeeperCacheEvent(ZooKeeperCacheEventType.Updated, path, node, cached, source));
        }
    }

    /// <summary>Newer data of the same node (an older read never overwrites a newer one); readability changes count too.</summary>
    private static bool IsNewer(ZooKeeperCachedNode node, ZooKeeperCachedNode cached)
        => node.Stat.Mzxid > cached.Stat.Mzxid || node.ReadError != cached.ReadError;

    /// <summary>A node read from the server.</summary>
    public static ZooKeeperCachedNode Read(string path, DataResult result) => new(path, result.Data, result.Stat);
}
