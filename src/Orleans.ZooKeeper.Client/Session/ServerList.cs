namespace Orleans.ZooKeeper.Client.Session;

/// <summary>The ensemble's servers, shuffled once, tried round-robin; a server found by the read-write search goes first.</summary>
internal sealed class ServerList
{
    private readonly object _lock = new();
    private readonly ServerAddress[] _servers;
    private int _next;
    private int _probe;
    private ServerAddress? _preferred;

    public ServerList(IReadOnlyList<ServerAddress> servers, bool shuffle)
    {
        _servers = [.. servers];
        if (shuffle)
        {
            Random.Shared.Shuffle(_servers);
        }
    }

    public int Count => _servers.Length;

    /// <summary>The next server to connect to.</summary>
    public ServerAddress Next()
    {
        lock (_lock)
        {
            if (_preferred is { } preferred)
            {
                _preferred = null;
                return preferred;
            }

            var i = _next;
            _next = (i + 1) % _servers.Length;
            return _servers[i];
        }
    }

    /// <summary>Makes <paramref name="server"/> the next one <see cref="Next"/> returns.</summary>
    public void Prefer(ServerAddress server)
    {
        lock (_lock)
        {
            _preferred = server;
        }
    }

    /// <summary>The next server other than <paramref name="current"/> to ask whether it serves writes; null with a single server.</summary>
    public ServerAddress? NextProbe(ServerAddress current)
    {
        lock (_lock)
        {
            for (var tries = 0; tries < _servers.Length; tries++)
            {
                var candidate = _servers[_probe];
                _probe = (_probe + 1) % _servers.Length;
                if (candidate != current)
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
