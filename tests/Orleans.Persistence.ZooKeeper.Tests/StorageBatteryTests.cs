using System.Globalization;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>The grain storage contract (read / write / clear with ETags) against the provider and a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class StorageBatteryTests(ServerFixture fixture)
{
    private ZooKeeperClient Raw => fixture.Raw;

    private static void AssertConflictMessage(InconsistentStateException ex, StorageHandle zk, GrainId grainId, string? etag, string operation)
    {
        // The tokens Orleans' Redis and ADO.NET providers write, parsed as tools parse them.
        var tokens = StorageMessage.Parse(ex.Message).For(zk, grainId, etag, operation);
        Assert.Equal("Version conflict", tokens.What);
        Assert.Equal(etag, ex.CurrentEtag);
    }

    [Fact]
    public async Task A_missing_record_reads_as_default_with_no_etag_and_clearing_it_without_an_etag_is_a_no_op()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var state = new GrainState<TestState> { State = new TestState { Value = 42 }, ETag = "stale-from-before", RecordExists = true };
        await zk.GrainStorage.ReadStateAsync("state", id, state);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State!.Value);
        Assert.Null(state.State.Text);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);

        Assert.Null(await zk.ClearAsync<TestState>(id, null));
        Assert.Null(await Raw.ExistsAsync(zk.PathFor(id, "state")));
    }

    [Fact]
    public async Task The_first_write_without_an_etag_creates_the_node_and_its_incarnation_guard_two_znodes_per_state()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "one" }, null);

        // {root}/{grain type}/{grain key}.{state name}: the grain type node (a container node, see KeyEncodingTests) is shared by all its grains.
        var path = zk.PathFor(id, "state");
        Assert.Equal($"{zk.Root}/battery/{id.Key}.state", path);
        Assert.Equal(ClusterSetup.NodeOf(zk.Root, id, "state"), path);
        Assert.Equal(2, (await Znodes.DescendantsAsync(Raw, $"{zk.Root}/battery")).Count);
        var stat = (await Raw.ExistsAsync(path))!.Value;
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{stat.Czxid:x}-0"), etag);
        Assert.Equal(new[] { stat.Czxid.ToString("x", CultureInfo.InvariantCulture) }, await Raw.GetChildrenAsync(path));

        var read = await zk.ReadAsync<TestState>(id);
        Assert.True(read.RecordExists);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(1, read.State.Value);
        Assert.Equal("one", read.State.Text);
    }

    [Fact]
    public async Task Conflicting_etags_throw_InconsistentStateException_naming_the_context_and_leave_the_latest_data()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var first = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var latest = await zk.WriteAsync(id, new TestState { Value = 2 }, first);

        // A second create, an ETag this provider never issued (well-formed or not), a stale ETag: on write and on clear.
        var cases = new (string? ETag, bool Clear)[]
        {
            (null, false), (null, true),
            ("123abc-1", false), ("123abc-1", true),
            ("not-an-etag", false), ("garbage", true), ("1a--1", false), ("-1", false),
            (first, false), (first, true),
        };
        foreach (var (etag, clear) in cases)
        {
            var state = new GrainState<TestState> { State = new TestState { Value = 99 }, ETag = etag, RecordExists = etag is not null };
            var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => clear
                ? zk.GrainStorage.ClearStateAsync("state", id, state)
                : zk.GrainStorage.WriteStateAsync("state", id, state));
            AssertConflictMessage(ex, zk, id, etag, clear ? "ClearStateAsync" : "WriteStateAsync");
            if (etag is null || etag == first)
            {
                Assert.Equal(latest, ex.StoredEtag);
                Assert.Contains(latest, ex.Message);
            }

            // The caller's state object is not touched.
            Assert.Equal(etag, state.ETag);
            Assert.Equal(99, state.State!.Value);
        }

        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(2, read.State.Value);
        Assert.Equal(latest, read.ETag);
        Assert.Equal(1, (await Raw.ExistsAsync(zk.PathFor(id, "state")))!.Value.Version);
    }

    [Fact]
    public async Task Every_write_returns_a_new_etag_even_for_identical_data()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var etags = new List<string>();
        string? etag = null;
        for (var i = 0; i < 5; i++)
        {
            etag = await zk.WriteAsync(id, new TestState { Value = 7, Text = "same" }, etag);
            etags.Add(etag);
        }

        Assert.Equal(etags.Count, etags.Distinct().Count());
        Assert.Equal(etag, (await zk.ReadAsync<TestState>(id)).ETag);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Clear_then_write_with_the_etag_the_clear_left_succeeds(bool deleteStateOnClear)
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = deleteStateOnClear);
        var id = Ids.Unique();
        var written = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var cleared = await zk.ClearAsync<TestState>(id, written);
        if (deleteStateOnClear)
        {
            Assert.Null(cleared);
        }
        else
        {
            Assert.NotNull(cleared);
            Assert.NotEqual(written, cleared);
        }

        var again = await zk.WriteAsync(id, new TestState { Value = 2 }, cleared);
        Assert.NotEqual(written, again);
        var read = await zk.ReadAsync<TestState>(id);
        Assert.True(read.RecordExists);
        Assert.Equal(2, read.State.Value);
        Assert.Equal(again, read.ETag);

        // The ETag from before the clear is stale now, either way.
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 3 }, written));
        Assert.Equal(2, (await zk.ReadAsync<TestState>(id)).State.Value);
    }

    [Fact]
    public async Task DeleteStateOnClear_true_removes_the_node_and_its_guard()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        etag = await zk.WriteAsync(id, new TestState { Value = 2 }, etag);
        Assert.Null(await zk.ClearAsync<TestState>(id, etag));

        Assert.Null(await Raw.ExistsAsync(path));
        var read = await zk.ReadAsync<TestState>(id);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(0, read.State.Value);
    }

    [Fact]
    public async Task DeleteStateOnClear_false_keeps_an_empty_node_that_reads_as_no_record()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = false);
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "x" }, null);
        var cleared = await zk.ClearAsync<TestState>(id, etag);

        var stat = (await Raw.ExistsAsync(path))!.Value;
        Assert.Equal(0, stat.DataLength);
        Assert.Equal(1, stat.Version);
        Assert.Equal(1, stat.NumChildren);
        var read = await zk.ReadAsync<TestState>(id);
        Assert.False(read.RecordExists);
        Assert.Equal(cleared, read.ETag);
        Assert.Equal(0, read.State.Value);
        Assert.Null(read.State.Text);

        // The node is still there, so a create (no ETag) is a conflict; clearing again with the ETag is fine.
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), null));
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, null));
        var clearedAgain = await zk.ClearAsync<TestState>(id, cleared);
        Assert.NotEqual(cleared, clearedAgain);
        Assert.Equal(clearedAgain, (await zk.ReadAsync<TestState>(id)).ETag);
    }

    [Fact]
    public async Task Two_state_names_on_one_grain_are_independent()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique();
        var a = await zk.WriteAsync(id, new TestState { Value = 1 }, null, "a");
        var b = await zk.WriteAsync(id, new TestState { Value = 2 }, null, "b");
        Assert.NotEqual(zk.PathFor(id, "a"), zk.PathFor(id, "b"));

        // One name's ETag means nothing to the other.
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 9 }, a, "b"));
        a = await zk.WriteAsync(id, new TestState { Value = 11 }, a, "a");
        Assert.Null(await zk.ClearAsync<TestState>(id, a, "a"));

        var readA = await zk.ReadAsync<TestState>(id, "a");
        var readB = await zk.ReadAsync<TestState>(id, "b");
        Assert.False(readA.RecordExists);
        Assert.True(readB.RecordExists);
        Assert.Equal(2, readB.State.Value);
        Assert.Equal(b, readB.ETag);
    }

    [Fact]
    public async Task Hundred_grains_with_ten_concurrent_write_read_rounds_all_succeed_with_changing_etags()
    {
        await using var zk = await fixture.StartStorageAsync();
        var grains = Enumerable.Range(0, 100).Select(i => Ids.String("concurrent", $"grain-{i}")).ToArray();
        var results = await Task.WhenAll(grains.Select(async (id, i) =>
        {
            var seen = new List<string>();
            string? etag = null;
            for (var round = 0; round < 10; round++)
            {
                etag = await zk.WriteAsync(id, new TestState { Value = round, Text = $"{i}:{round}" }, etag);
                var read = await zk.ReadAsync<TestState>(id);
                Assert.True(read.RecordExists);
                Assert.Equal(etag, read.ETag);
                Assert.Equal(round, read.State.Value);
                Assert.Equal($"{i}:{round}", read.State.Text);
                seen.Add(etag);
            }

            return seen;
        }));

        Assert.All(results, seen => Assert.Equal(10, seen.Distinct().Count()));
        Assert.Equal(1000, results.SelectMany(s => s).Distinct().Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Of_racing_writers_with_the_same_etag_exactly_one_wins(bool deleteStateOnClear)
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = deleteStateOnClear);
        for (var round = 0; round < 5; round++)
        {
            var id = Ids.Unique();

            // Creates (no ETag) of a missing record.
            var creates = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Record.ExceptionAsync(() => zk.WriteAsync(id, new TestState { Value = i }, null))));
            Assert.Single(creates, e => e is null);
            Assert.All(creates.Where(e => e is not null), e => Assert.IsType<InconsistentStateException>(e));
            var current = await zk.ReadAsync<TestState>(id);

            // Updates with one ETag, mixed with clears holding the same ETag.
            var racers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Record.ExceptionAsync(() => i % 4 == 3
                ? zk.ClearAsync<TestState>(id, current.ETag)
                : (Task)zk.WriteAsync(id, new TestState { Value = 100 + i }, current.ETag))));
            Assert.Single(racers, e => e is null);
            Assert.All(racers.Where(e => e is not null), e => Assert.IsType<InconsistentStateException>(e));
            var winner = Array.FindIndex(racers, e => e is null);
            var after = await zk.ReadAsync<TestState>(id);
            Assert.NotEqual(current.ETag, after.ETag);
            if (winner % 4 == 3)
            {
                Assert.False(after.RecordExists);
            }
            else
            {
                Assert.Equal(100 + winner, after.State.Value);
            }
        }
    }

    [Fact]
    public async Task An_etag_from_before_a_delete_never_matches_the_recreated_node_even_when_the_versions_match()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var e1 = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var e2 = await zk.WriteAsync(id, new TestState { Value = 2 }, e1);
        Assert.Null(await zk.ClearAsync<TestState>(id, e2));
        var e3 = await zk.WriteAsync(id, new TestState { Value = 3 }, null);

        // Re-created: version restarts at 0, the creation zxid differs.
        var stat = (await Raw.ExistsAsync(path))!.Value;
        Assert.Equal(0, stat.Version);
        Assert.EndsWith("-0", e1);
        Assert.EndsWith("-0", e3);
        Assert.NotEqual(e1, e3);

        // e1 names version 0 like the current node, but of the old incarnation.
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 100 }, e1));
        Assert.Equal(e3, ex.StoredEtag);
        AssertConflictMessage(ex, zk, id, e1, "WriteStateAsync");
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, e1));

        var e4 = await zk.WriteAsync(id, new TestState { Value = 4 }, e3);
        Assert.EndsWith("-1", e2);
        Assert.EndsWith("-1", e4);
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 200 }, e2));
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, e2));

        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(4, read.State.Value);
        Assert.Equal(e4, read.ETag);
        Assert.Equal(1, (await Raw.ExistsAsync(path))!.Value.Version);
    }

    [Fact]
    public async Task A_missing_incarnation_guard_is_repaired_by_the_next_write_with_the_right_etag()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var e1 = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var e2 = await zk.WriteAsync(id, new TestState { Value = 2 }, e1);
        var czxid = (await Raw.ExistsAsync(path))!.Value.Czxid;
        var guard = path + "/" + czxid.ToString("x", CultureInfo.InvariantCulture);

        // A stale ETag of the same incarnation is still a conflict when the guard is missing (and the data stays).
        await Raw.DeleteAsync(guard);
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 50 }, e1));
        Assert.Equal(2, (await zk.ReadAsync<TestState>(id)).State.Value);

        if (await Raw.ExistsAsync(guard) is not null)
        {
            await Raw.DeleteAsync(guard);
        }

        Assert.Null(await Raw.ExistsAsync(guard));
        var e3 = await zk.WriteAsync(id, new TestState { Value = 3 }, e2);
        Assert.NotNull(await Raw.ExistsAsync(guard));
        Assert.Equal(3, (await zk.ReadAsync<TestState>(id)).State.Value);
        Assert.Equal(e3, (await zk.ReadAsync<TestState>(id)).ETag);

        // A clear with delete also repairs and then removes both.
        await Raw.DeleteAsync(guard);
        Assert.Null(await zk.ClearAsync<TestState>(id, e3));
        Assert.Null(await Raw.ExistsAsync(path));
    }
}
