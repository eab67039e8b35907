using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper;

/// <summary>Caches of nodes under a container's path, on the container's session.</summary>
public static class ZooKeeperContainerCacheExtensions
{
    /// <summary>A cache of <paramref name="relativePath"/> (relative to the container path; "" for the container's node) and its subtree. Not started.</summary>
    public static ZooKeeperTreeCache CreateTreeCache(this ZooKeeperContainer container, string relativePath = "", ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new ZooKeeperTreeCache(container.Client, container.ResolvePath(relativePath), logger);
    }

    /// <summary>A cache of the one node at <paramref name="relativePath"/> (relative to the container path). Not started.</summary>
    public static ZooKeeperNodeCache CreateNodeCache(this ZooKeeperContainer container, string relativePath, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new ZooKeeperNodeCache(container.Client, container.ResolvePath(relativePath), logger);
    }
}
