using System.Collections.Concurrent;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>What the in-process recipe tests share: containers on the collection's server, waits, recorders.</summary>
internal static class RecipeTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static byte[] Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static string TextOf(ZooKeeperCachedNode? node) => node is null ? "<none>" : System.Text.Encoding.UTF8.GetString(node.Data);

    public static string NewPath(string what) => $"/{what}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A started container on <paramref name="servers"/> with its path at <paramref name="path"/>.</summary>
    public static async Task<ZooKeeperContainer> StartContainerAsync(string name, string servers, string path, TimeSpan? sessionTimeout = null)
    {
        var options = new ZooKeeperContainerOptions { ConfigureClient = c => c.SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10) };
        var container = new ZooKeeperContainer(name, ZooKeeperTargetResolver.Resolve($"zookeeper://{servers}{path}", null), options);
        await container.StartAsync();
        return container;
    }

    public static Task<ZooKeeperClient> ConnectAsync(string servers) => ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = servers });

    public static Task UntilAsync(Func<bool> condition, string what) => TestWait.UntilAsync(condition, Patience, what);

    public static Task UntilAsync(Func<Task<bool>> condition, string what) => TestWait.UntilAsync(condition, Patience, what);

    /// <summary>Waits until a session is gone on the server: its ephemeral <paramref name="marker"/> vanished.</summary>
    public static Task UntilExpiredAsync(ZooKeeperClient observer, string marker)
        => UntilAsync(async () => await observer.ExistsAsync(marker) is null, "the session expired on the server");
}

/// <summary>Collects events in arrival order.</summary>
internal sealed class Recorder<T>
{
    private readonly ConcurrentQueue<T> _items = new();

    public void Add(object? sender, T item) => _items.Enqueue(item);

    public List<T> Items => [.. _items];
}
