using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// States that expire (TTL nodes, on servers that enable them; a clear startup error where they do not), and the
/// grain type nodes that go away with their last state when states are deleted on clear (container nodes).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ExpiryAndCleanupTests(ServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task With_StateExpiry_a_state_not_written_for_that_long_disappears_with_its_guard_and_its_type_node()
    {
        // The fixture's server runs with zookeeper.extendedTypesEnabled (and checks TTL and container nodes every second).
        await using var zk = await fixture.StartStorageAsync(o => o.StateExpiry = TimeSpan.FromSeconds(1));
        var id = Ids.Unique("expiring");
        var first = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var etag = await zk.WriteAsync(id, new TestState { Value = 2 }, first);
        var path = zk.PathFor(id, "state");
        Assert.Equal(1, (await fixture.Raw.ExistsAsync(path))!.Value.NumChildren);
        Assert.Equal(2, (await zk.ReadAsync<TestState>(id)).State.Value);

        await TestWait.UntilAsync(async () => await fixture.Raw.ExistsAsync(path) is null, Timeout, "the state expired");
        await TestWait.UntilAsync(async () => await fixture.Raw.ExistsAsync(zk.Root + "/expiring") is null, Timeout, "its grain type node went with it");
        var read = await zk.ReadAsync<TestState>(id);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        // A new incarnation: written again from no record; the ETag from before the expiry matches nothing.
        var again = await zk.WriteAsync(id, new TestState { Value = 3 }, null);
        Assert.NotEqual(etag, again);
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 4 }, etag));
        Assert.Equal(3, (await zk.ReadAsync<TestState>(id)).State.Value);
    }

    [Fact]
    public async Task StateExpiry_on_a_server_without_extended_types_fails_startup_saying_what_to_enable()
    {
        await using var plain = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions());
        var url = $"zookeeper://{plain.ConnectString}/no-ttl";
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => fixture.StartStorageAsync(o => o.StateExpiry = TimeSpan.FromMinutes(5), url: url, name: "expiring"));
        Assert.Contains("'expiring'", ex.Message);
        Assert.Contains("StateExpiry", ex.Message);
        Assert.Contains("-Dzookeeper.extendedTypesEnabled=true", ex.Message);
        Assert.Contains("Unimplemented", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_StateExpiry_that_is_not_positive_is_refused_by_the_validator(int seconds)
    {
        var services = new ServiceCollection();
        services.AddZooKeeperGrainStorage("bad", o =>
        {
            o.Url = "zookeeper://127.0.0.1:1/x";
            o.StateExpiry = TimeSpan.FromSeconds(seconds);
        });
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OrleansConfigurationException>(() => Assert.Single(provider.GetServices<IConfigurationValidator>()).ValidateConfiguration());
        Assert.Contains("StateExpiry must be from 1 ms", ex.Message);
    }

    [Fact]
    public async Task With_DeleteStateOnClear_a_grain_type_node_goes_away_after_its_last_state_and_writing_again_brings_it_back()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var a = Ids.String("cleaned", "a");
        var b = Ids.String("cleaned", "b");
        var ea = await zk.WriteAsync(a, new TestState { Value = 1 }, null);
        var eb = await zk.WriteAsync(b, new TestState { Value = 2 }, null);
        var typeNode = zk.Root + "/cleaned";

        Assert.Null(await zk.ClearAsync<TestState>(a, ea));
        Assert.NotNull(await fixture.Raw.ExistsAsync(typeNode)); // b still lives there
        Assert.Null(await zk.ClearAsync<TestState>(b, eb));
        await TestWait.UntilAsync(async () => await fixture.Raw.ExistsAsync(typeNode) is null, Timeout, "the empty grain type node removed by the server");
        Assert.Equal(["layout.v2"], await fixture.Raw.GetChildrenAsync(zk.Root));

        var again = await zk.WriteAsync(a, new TestState { Value = 3 }, null);
        Assert.Equal(3, (await zk.ReadAsync<TestState>(a)).State.Value);
        Assert.NotEqual(ea, again);
    }
}
