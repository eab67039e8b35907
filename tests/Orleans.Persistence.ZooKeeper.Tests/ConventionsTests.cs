using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization.Activators;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// Orleans' conventions for storage providers: the message tokens, one structured log event per outcome (reads,
/// writes and clears at Trace), the default state from Orleans' activator, and a GetStorageKey option.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ConventionsTests(ServerFixture fixture)
{
    [Fact]
    public async Task Every_kind_of_storage_error_carries_the_tokens_Orleans_providers_write()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.MaxStateSize = 100);
        var id = Ids.Unique("tokens");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), null));
        Assert.Equal("Version conflict", StorageMessage.Parse(conflict.Message).For(zk, id, null, "WriteStateAsync").What);
        var staleClear = await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, "1-0"));
        StorageMessage.Parse(staleClear.Message).For(zk, id, "1-0", "ClearStateAsync");
        var tooBig = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, new TestState { Text = new string('x', 200) }, etag));
        Assert.Equal("Grain state refused", StorageMessage.Parse(tooBig.Message).For(zk, id, etag, "WriteStateAsync").What);
        var unserializable = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.GrainStorage.WriteStateAsync("state", id, new GrainState<ObjectMemberState> { State = new(), ETag = etag }));
        StorageMessage.Parse(unserializable.Message).For(zk, id, etag, "WriteStateAsync");
        await fixture.Raw.SetDataAsync(zk.PathFor(id, "state"), "{broken"u8.ToArray());
        var unreadable = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.ReadAsync<TestState>(id));
        Assert.Equal("Grain state unreadable", StorageMessage.Parse(unreadable.Message).For(zk, id, null, "ReadStateAsync").What);
    }

    [Fact]
    public async Task Reads_writes_and_clears_are_logged_at_trace_one_event_per_outcome_with_Orleans_fields_as_structured_values()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique("logged");
        await zk.ReadAsync<TestState>(id);
        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "secret-state-data" }, null);
        var read = await zk.ReadAsync<TestState>(id);
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), "1-0"));
        await zk.ClearAsync<TestState>(id, etag);

        var ours = zk.Logs.Records.Where(r => r.Category.StartsWith(typeof(ZooKeeperGrainStorage).FullName!, StringComparison.Ordinal)).ToList();
        LogRecord Single(string template) => Assert.Single(ours, r => ((string)r.Values["{OriginalFormat}"]!).StartsWith(template, StringComparison.Ordinal));
        var notFound = Single("No grain state stored");
        var wrote = Single("Wrote grain state");
        var readEvent = Single("Read grain state");
        var conflict = Single("Version conflict");
        var cleared = Single("Cleared grain state");
        foreach (var (record, level, recordETag) in new[] { (notFound, LogLevel.Trace, (string?)null), (wrote, LogLevel.Trace, etag), (readEvent, LogLevel.Trace, read.ETag), (conflict, LogLevel.Debug, "1-0"), (cleared, LogLevel.Trace, null) })
        {
            Assert.Equal(level, record.Level);
            Assert.Equal(zk.ServiceId, record.Values["ServiceId"]);
            Assert.Equal(zk.Name, record.Values["ProviderName"]);
            Assert.Equal(id.Type, record.Values["GrainType"]);
            Assert.Equal(id, record.Values["GrainId"]);
            Assert.Equal(recordETag, record.Values["ETag"]);
            Assert.Equal("state", record.Values["StateName"]);
            Assert.Equal(zk.PathFor(id, "state"), record.Values["Path"]);
        }

        Assert.Equal(etag, conflict.Values["StoredETag"]);
        Assert.Equal(5, new[] { notFound, wrote, readEvent, conflict, cleared }.Select(r => r.EventId.Id).Distinct().Count());
        Assert.All(zk.Logs.Entries, e => Assert.DoesNotContain("secret-state-data", e));
    }

    [Fact]
    public async Task A_failed_call_is_logged_as_a_warning_with_the_fields_and_the_exception()
    {
        var url = fixture.NewUrl("fail-log");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        await using var owner = await fixture.StartStorageAsync(o => { o.Username = "owner"; o.Password = "owner-secret"; }, url: url, serviceId: serviceId);
        var id = Ids.Unique("locked");
        await owner.WriteAsync(id, new TestState { Value = 1 }, null);
        await using var other = await fixture.StartStorageAsync(o => { o.Username = "other"; o.Password = "other-secret"; }, url: url, serviceId: serviceId);
        await Assert.ThrowsAsync<ZooKeeperStorageException>(() => other.ReadAsync<TestState>(id));

        var failed = Assert.Single(other.Logs.Records, r => r.Level == LogLevel.Warning && r.Message.StartsWith("ZooKeeper grain storage failed (ReadStateAsync)", StringComparison.Ordinal));
        Assert.IsType<NoAuthException>(failed.Exception);
        Assert.Equal(id, failed.Values["GrainId"]);
        Assert.Equal(other.Name, failed.Values["ProviderName"]);
        Assert.All(other.Logs.Entries.Concat(owner.Logs.Entries), e =>
        {
            Assert.DoesNotContain("owner-secret", e, StringComparison.Ordinal);
            Assert.DoesNotContain("other-secret", e, StringComparison.Ordinal);
        });
    }

    /// <summary>Orleans' activator for a state type; this one starts every TestState at 42.</summary>
    private sealed class FortyTwoActivators : IActivatorProvider
    {
        public int Calls;

        public IActivator<T> GetActivator<T>()
        {
            Interlocked.Increment(ref Calls);
            return typeof(T) == typeof(TestState) ? (IActivator<T>)(object)new FortyTwo() : throw new InvalidOperationException(typeof(T).Name);
        }

        private sealed class FortyTwo : IActivator<TestState>
        {
            public TestState Create() => new() { Value = 42, Text = "from the activator" };
        }
    }

    [Fact]
    public async Task The_default_state_comes_from_Orleans_activator_for_the_type()
    {
        var activators = new FortyTwoActivators();
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true, services: s => s.AddSingleton<IActivatorProvider>(activators));
        var id = Ids.Unique();
        var missing = await zk.ReadAsync<TestState>(id);
        Assert.False(missing.RecordExists);
        Assert.Equal((42, "from the activator"), (missing.State.Value, missing.State.Text));

        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var state = new GrainState<TestState> { State = new TestState { Value = 1 }, ETag = etag, RecordExists = true };
        await zk.GrainStorage.ClearStateAsync("state", id, state);
        Assert.Equal(42, state.State.Value);
        Assert.Equal(2, activators.Calls);
    }

    [Fact]
    public async Task GetStorageKey_chooses_the_node_below_the_root_with_container_nodes_above_it()
    {
        await using var zk = await fixture.StartStorageAsync(o =>
        {
            o.DeleteStateOnClear = true;
            o.GetStorageKey = (stateName, grainId) => $"tenants/{grainId.Key}/{stateName}";
        });
        Assert.False(zk.Storage.ReadsLegacyLayout);
        var id = Ids.String("custom", "acme");
        var etag = await zk.WriteAsync(id, new TestState { Value = 7 }, null);
        var path = zk.Root + "/tenants/acme/state";
        Assert.Equal(path, zk.PathFor(id, "state"));
        Assert.Equal(7, (await zk.ReadAsync<TestState>(id)).State.Value);
        Assert.Single(await fixture.Raw.GetChildrenAsync(path)); // its incarnation guard

        // Deleted on clear: the nodes above it were created as container nodes, so the server removes them too.
        Assert.Null(await zk.ClearAsync<TestState>(id, etag));
        await TestWait.UntilAsync(async () => await fixture.Raw.ExistsAsync(zk.Root + "/tenants") is null, TimeSpan.FromSeconds(30), "the empty tenants node removed");
    }

    [Theory]
    [InlineData("/absolute", "no leading '/'")]
    [InlineData("", "non-empty")]
    [InlineData("a//b", "'//'")]
    [InlineData("a/../b", "'..'")]
    [InlineData("trailing/", "must not end with '/'")]
    [InlineData("layout.v2", "the provider's own node")]
    public async Task A_GetStorageKey_result_that_is_not_a_node_below_the_root_is_refused_before_anything_is_sent(string key, string reason)
    {
        await using var zk = await fixture.StartStorageAsync(o => o.GetStorageKey = (_, _) => key);
        var id = Ids.Unique();
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, new TestState(), null));
        Assert.Contains("GetStorageKey returned", ex.Message);
        Assert.Contains(reason, ex.Message);
        Assert.Contains("Nothing was sent", ex.Message);
        StorageMessage.Parse(ex.Message).For(zk, id, null, "WriteStateAsync");
        Assert.Empty(await fixture.Raw.GetChildrenAsync(zk.Root));
    }
}
