using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper;

/// <summary>Locks and semaphores under a container's path.</summary>
public static class ZooKeeperContainerLockExtensions
{
    /// <summary>The folder (relative to the container path) that holds the locks: <c>{BasePath}/locks/{name}</c>.</summary>
    public const string LocksFolder = "locks";

    /// <summary>The folder (relative to the container path) that holds the semaphores: <c>{BasePath}/semaphores/{name}</c>.</summary>
    public const string SemaphoresFolder = "semaphores";

    /// <summary>A lock named <paramref name="name"/> on the container's session, at <c>{BasePath}/locks/{name}</c>.</summary>
    public static ZooKeeperLock CreateLock(this ZooKeeperContainer container, string name, ZooKeeperLockOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new ZooKeeperLock(container.Client, container.ResolvePath(LocksFolder + "/" + CheckName(name)), options, container.NodeAcl, logger);
    }

    /// <summary>A semaphore named <paramref name="name"/> with <paramref name="maxLeases"/> leases, at <c>{BasePath}/semaphores/{name}</c>.</summary>
    public static ZooKeeperSemaphore CreateSemaphore(this ZooKeeperContainer container, string name, int maxLeases, ZooKeeperLockOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new ZooKeeperSemaphore(container.Client, container.ResolvePath(SemaphoresFolder + "/" + CheckName(name)), maxLeases, options, container.NodeAcl, logger);
    }

    /// <summary>A recipe name is one path segment.</summary>
    internal static string CheckName(string name, string what = "name")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The {what} '{name}' must be one znode name (no '/').", nameof(name));
        }

        return name;
    }
}
