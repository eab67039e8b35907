using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>One standalone server shared by the tests that do not disturb it.</summary>
public sealed class SharedServerFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { ExtendedTypes = true });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<SharedServerFixture>
{
    public const string Name = "shared server";
}

internal static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    /// <summary>Polls <paramref name="condition"/> until true or the timeout passes.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
        => TestWait.UntilAsync(condition, timeout ?? Default, what);

    public static Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
        => TestWait.UntilAsync(condition, timeout ?? Default, what);

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null)
        => await task.WaitAsync(timeout ?? Default);

    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null)
        => await task.WaitAsync(timeout ?? Default);
}

/// <summary>Collects state changes in order.</summary>
internal sealed class StateRecorder
{
    private readonly List<ConnectionStateChange> _changes = [];

    public StateRecorder(ZooKeeperClient client)
    {
        client.StateChanged += (_, c) =>
        {
            lock (_changes)
            {
                _changes.Add(c);
            }
        };
    }

    /// <summary>
    /// A recorder for a client that is already connected: it starts listening once the connect-time state changes
    /// have been delivered (they are queued on the event loop and may still be on their way when ConnectAsync
    /// returns), so it records only what happens from here on.
    /// </summary>
    public static async Task<StateRecorder> AfterConnectAsync(ZooKeeperClient client)
    {
        await Clients.EventsDeliveredAsync(client);
        return new StateRecorder(client);
    }

    public List<ConnectionStateChange> Snapshot()
    {
        lock (_changes)
        {
            return [.. _changes];
        }
    }

    public List<ConnectionState> States => Snapshot().Select(c => c.State).ToList();

    public Task WaitForAsync(Func<List<ConnectionStateChange>, bool> predicate, TimeSpan? timeout = null, string? what = null)
        => Wait.UntilAsync(() => predicate(Snapshot()), timeout, what ?? "state sequence; seen: " + string.Join(",", States));
}

internal static class Clients
{
    private static int _counter;

    public static ZooKeeperClientOptions Options(string connectString, TimeSpan? sessionTimeout = null) => new()
    {
        ConnectString = connectString,
        SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
    };

    public static Task<ZooKeeperClient> ConnectAsync(string connectString, TimeSpan? sessionTimeout = null)
        => ZooKeeperClient.ConnectAsync(Options(connectString, sessionTimeout));

    /// <summary>
    /// Waits until the client's event loop has delivered everything queued so far (e.g. the CONNECTED change, which
    /// may still be on its way when ConnectAsync returns; replies arriving meanwhile are completed behind it).
    /// </summary>
    public static Task EventsDeliveredAsync(ZooKeeperClient client)
        => Wait.UntilAsync(() => !client.HasPendingEvents, what: "the client's queued events were delivered");

    /// <summary>A fresh, unique test root path.</summary>
    public static string UniquePath(string prefix = "t") => $"/{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}";
}
