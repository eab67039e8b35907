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

    /// <summary>Polls every millisecond or so: for loops of thousands of rounds, where <see cref="UntilAsync(Func{bool}, string)"/>'s 20 ms would dominate.</summary>
    public static async Task UntilSoonAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {Patience.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>The synchronous form of <see cref="UntilSoonAsync(Func{Task{bool}}, string)"/>.</summary>
    public static Task UntilSoonAsync(Func<bool> condition, string what) => UntilSoonAsync(() => Task.FromResult(condition()), what);

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
