using System.Diagnostics;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Storage calls while the container is cut off from the server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConnectionFailureTests(ServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task While_SUSPENDED_calls_fail_at_once_naming_provider_and_grain_and_work_again_after_reconnect()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var path = "/cutoff-" + Guid.NewGuid().ToString("N")[..8];
        await using var zk = await fixture.StartStorageAsync(url: $"zookeeper://{proxy.ConnectString}{path}");
        var id = Ids.String("cutoff", "grain-1");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var session = zk.Client.SessionId;
        var container = zk.Storage.Container;

        proxy.Block();
        await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Suspended, Timeout, "container SUSPENDED");

        // Each fails at once, and its message carries Orleans' tokens with the ETag the call carried (empty only when it carried none).
        var calls = new (string Operation, string? ETag, Func<Task> Call)[]
        {
            ("ReadStateAsync", null, () => zk.ReadAsync<TestState>(id)),
            ("ReadStateAsync", etag, () => zk.GrainStorage.ReadStateAsync("state", id, new GrainState<TestState> { ETag = etag, RecordExists = true })),
            ("WriteStateAsync", etag, () => zk.WriteAsync(id, new TestState { Value = 2 }, etag)),
            ("WriteStateAsync", null, () => zk.WriteAsync(Ids.String("cutoff", "new"), new TestState { Value = 2 }, null)),
            ("ClearStateAsync", etag, () => zk.ClearAsync<TestState>(id, etag)),
        };
        foreach (var (operation, callETag, call) in calls)
        {
            var watch = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(call);
            watch.Stop();
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"{operation} took {watch.ElapsedMilliseconds} ms");
            var tokens = StorageMessage.Parse(ex.Message);
            Assert.Equal(zk.Name, tokens.ProviderName);
            Assert.Equal(zk.ServiceId, tokens.ServiceId);
            Assert.Equal(operation, tokens.Operation);
            Assert.StartsWith("cutoff/", tokens.GrainId, StringComparison.Ordinal);
            Assert.Equal(callETag ?? string.Empty, tokens.ETag);
            Assert.Contains("SUSPENDED", ex.Message);
            Assert.Contains(container.Name, ex.Message);
        }

        proxy.Unblock();
        await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Connected, Timeout, "container CONNECTED again");
        Assert.Equal(session, zk.Client.SessionId);
        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(1, read.State.Value);
        Assert.Equal(etag, read.ETag);
        etag = await zk.WriteAsync(id, new TestState { Value = 3 }, etag);
        Assert.Equal(3, (await zk.ReadAsync<TestState>(id)).State.Value);
        Assert.Null(await zk.ClearAsync<TestState>(Ids.String("cutoff", "new"), null));
    }

    [Fact]
    public async Task Storage_used_before_it_was_started_fails_clearly()
    {
        var storage = new ZooKeeperGrainStorage(
            "unstarted",
            "svc",
            new Orleans.Configuration.ZooKeeperGrainStorageOptions { GrainStorageSerializer = new ZooKeeperJsonGrainStorageSerializer() },
            _ => throw new InvalidOperationException("never connected"),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.ReadStateAsync("state", Ids.Unique(), new GrainState<TestState>()));
        Assert.Contains("'unstarted' has not been started", ex.Message);
    }
}
