namespace Orleans.ZooKeeper.Client.Session;

/// <summary>The ensemble's servers, shuffled once, tried round-robin.</summary>
internal sealed class ServerList
{
    private readonly ServerAddress[] _servers;
    private int _next;

    public ServerList(IReadOnlyList<ServerAddress> servers, bool shuffle)
    {
        _servers = [.. servers];
        if (shuffle)
        {
            Random.Shared.Shuffle(_servers);
        }
    }

    public int Count => _servers.Length;

    public ServerAddress Next()
    {
        var i = _next;
        _next = (i + 1) % _servers.Length;
        return _servers[i];
    }
}
