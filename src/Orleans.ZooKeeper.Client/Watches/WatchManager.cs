namespace Orleans.ZooKeeper.Client.Watches;

/// <summary>Which table a watch lives in.</summary>
internal enum WatchKind
{
    None = 0,

    /// <summary>exists: a data watch when the node exists, an exist watch when it does not.</summary>
    DataOrExist,
    Data,
    Child,
    Persistent,
    PersistentRecursive,
}

/// <summary>A watch to register once the server confirms it.</summary>
internal readonly record struct WatchRegistration(WatchKind Kind, string ServerPath, Action<WatchedEvent> Callback);

/// <summary>The watches paths for a SetWatches/SetWatches2 replay after reconnecting.</summary>
internal sealed record WatchSnapshot(
    List<string> Data,
    List<string> Exist,
    List<string> Child,
    List<string> Persistent,
    List<string> PersistentRecursive)
{
    public bool IsEmpty => Data.Count + Exist.Count + Child.Count + Persistent.Count + PersistentRecursive.Count == 0;

    public bool HasPersistent => Persistent.Count + PersistentRecursive.Count > 0;
}

/// <summary>
/// The client-side watch tables, keyed by server path (chroot included), with the server's firing rules
/// (ZKWatchManager.materialize). Called from the read loop (register, materialize) and from callers (remove).
/// </summary>
internal sealed class WatchManager
{
    private readonly object _lock = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _child = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _persistent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _recursive = new(StringComparer.Ordinal);

    /// <summary>Registers a watch after the server answered <paramref name="error"/>.</summary>
    public void OnReply(in WatchRegistration watch, ErrorCode error)
    {
        if (watch.Kind == WatchKind.None)
        {
            return;
        }

        Dictionary<string, HashSet<Action<WatchedEvent>>>? table = (watch.Kind, error) switch
        {
            (WatchKind.DataOrExist, ErrorCode.Ok) => _data,
            (WatchKind.DataOrExist, ErrorCode.NoNode) => _exist,
            (WatchKind.Data, ErrorCode.Ok) => _data,
            (WatchKind.Child, ErrorCode.Ok) => _child,
            (WatchKind.Persistent, ErrorCode.Ok) => _persistent,
            (WatchKind.PersistentRecursive, ErrorCode.Ok) => _recursive,
            _ => null,
        };
        if (table is null)
        {
            return;
        }

        lock (_lock)
        {
            Add(table, watch.ServerPath, watch.Callback);
        }
    }

    /// <summary>Removes and returns the one-shot watchers an event triggers, plus the persistent ones it reaches.</summary>
    public List<Action<WatchedEvent>>? Materialize(EventType type, string serverPath)
    {
        List<Action<WatchedEvent>>? result = null;
        lock (_lock)
        {
            switch (type)
            {
                case EventType.NodeCreated:
                case EventType.NodeDataChanged:
                    Take(_data, serverPath, ref result);
                    Take(_exist, serverPath, ref result);
                    break;
                case EventType.NodeChildrenChanged:
                    Take(_child, serverPath, ref result);
                    break;
                case EventType.NodeDeleted:
                    Take(_data, serverPath, ref result);
                    Take(_exist, serverPath, ref result);
                    Take(_child, serverPath, ref result);
                    break;
            }

            if (_persistent.TryGetValue(serverPath, out var persistent))
            {
                AddDistinct(ref result, persistent);
            }

            if (type != EventType.NodeChildrenChanged && _recursive.Count > 0)
            {
                // The node itself and every ancestor.
                var p = serverPath;
                while (true)
                {
                    if (_recursive.TryGetValue(p, out var recursive))
                    {
                        AddDistinct(ref result, recursive);
                    }

                    if (p == "/")
                    {
                        break;
                    }

                    var i = p.LastIndexOf('/');
                    p = i <= 0 ? "/" : p[..i];
                }
            }
        }

        return result;
    }

    /// <summary>The watched paths, for re-registration after reconnecting.</summary>
    public WatchSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new WatchSnapshot([.. _data.Keys], [.. _exist.Keys], [.. _child.Keys], [.. _persistent.Keys], [.. _recursive.Keys]);
        }
    }

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _data.Count + _exist.Count + _child.Count + _persistent.Count + _recursive.Count == 0;
            }
        }
    }

    /// <summary>Removes every watch (session expired or client closed) and returns the distinct watchers.</summary>
    public List<Action<WatchedEvent>> Clear()
    {
        var all = new List<Action<WatchedEvent>>();
        var seen = new HashSet<Action<WatchedEvent>>();
        lock (_lock)
        {
            foreach (var table in new[] { _data, _exist, _child, _persistent, _recursive })
            {
                foreach (var set in table.Values)
                {
                    foreach (var w in set)
                    {
                        if (seen.Add(w))
                        {
                            all.Add(w);
                        }
                    }
                }

                table.Clear();
            }
        }

        return all;
    }

    /// <summary>True when any watcher of <paramref name="type"/> (optionally exactly <paramref name="watcher"/>) is set on the path.</summary>
    public bool Contains(string serverPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        lock (_lock)
        {
            foreach (var (table, _) in Tables(type))
            {
                if (table.TryGetValue(serverPath, out var set) && (watcher is null || set.Contains(watcher)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// True when removing <paramref name="watcher"/> (or all, when null) of <paramref name="type"/> would leave no
    /// watcher of that type on the path, so the server's watch must go too.
    /// </summary>
    public bool RemovalEmptiesPath(string serverPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        if (watcher is null)
        {
            return true;
        }

        lock (_lock)
        {
            foreach (var (table, _) in Tables(type))
            {
                if (table.TryGetValue(serverPath, out var set) && (set.Count > 1 || !set.Contains(watcher)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Removes watchers and returns each with the event type it should be told (DataWatchRemoved, ...).</summary>
    public List<(Action<WatchedEvent> Watcher, EventType Removed)> Remove(string serverPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        var removed = new List<(Action<WatchedEvent>, EventType)>();
        lock (_lock)
        {
            foreach (var (table, removedType) in Tables(type))
            {
                if (!table.TryGetValue(serverPath, out var set))
                {
                    continue;
                }

                if (watcher is null)
                {
                    foreach (var w in set)
                    {
                        removed.Add((w, removedType));
                    }

                    table.Remove(serverPath);
                }
                else if (set.Remove(watcher))
                {
                    removed.Add((watcher, removedType));
                    if (set.Count == 0)
                    {
                        table.Remove(serverPath);
                    }
                }
            }
        }

        return removed;
    }

    private IEnumerable<(Dictionary<string, HashSet<Action<WatchedEvent>>> Table, EventType Removed)> Tables(WatcherType type)
    {
        if (type is WatcherType.Data or WatcherType.Any)
        {
            yield return (_data, EventType.DataWatchRemoved);
            yield return (_exist, EventType.DataWatchRemoved);
        }

        if (type is WatcherType.Children or WatcherType.Any)
        {
            yield return (_child, EventType.ChildWatchRemoved);
        }

        if (type is WatcherType.Any)
        {
            yield return (_persistent, EventType.PersistentWatchRemoved);
            yield return (_recursive, EventType.PersistentWatchRemoved);
        }
    }

    private static void Add(Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, Action<WatchedEvent> callback)
    {
        if (!table.TryGetValue(path, out var set))
        {
            set = [];
            table[path] = set;
        }

        set.Add(callback);
    }

    private static void Take(Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, ref List<Action<WatchedEvent>>? result)
    {
        if (table.Remove(path, out var set))
        {
            AddDistinct(ref result, set);
        }
    }

    private static void AddDistinct(ref List<Action<WatchedEvent>>? result, HashSet<Action<WatchedEvent>> set)
    {
        result ??= new List<Action<WatchedEvent>>(set.Count);
        foreach (var w in set)
        {
            if (!result.Contains(w))
            {
                result.Add(w);
            }
        }
    }
}
