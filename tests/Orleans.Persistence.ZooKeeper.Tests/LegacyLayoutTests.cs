using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// Data in version 1's layout (<c>{type}/{key}/{state}</c> plus guard: three znodes per state, unmarked data) is read
/// in one round trip, moved to the current layout (two znodes, marked data) at its next write, and keeps every ETag
/// guarantee on the way.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LegacyLayoutTests(ServerFixture fixture)
{
    private ZooKeeperClient Raw => fixture.Raw;

    /// <summary>A container path and ServiceId whose root the test fills before a provider starts on it.</summary>
    private (string Url, string ServiceId, string Root) NewRoot()
    {
        var basePath = "/legacy-" + Guid.NewGuid().ToString("N")[..8];
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        return ($"zookeeper://{fixture.Server.ConnectString}{basePath}", serviceId, $"{basePath}/{serviceId}");
    }

    /// <summary>Stores a state exactly as version 1 did: the node with its parents (persistent, empty), then the guard named after its czxid. Returns version 1's ETag.</summary>
    private async Task<string> WriteVersion1Async(string root, GrainId id, string stateName, byte[] data)
    {
        var path = ClusterSetup.LegacyNodeOf(root, id, stateName);
        var created = await Raw.CreateWithParentsAsync(path, data);
        await Raw.CreateAsync(path + "/" + created.Stat.Czxid.ToString("x", CultureInfo.InvariantCulture));
        return string.Create(CultureInfo.InvariantCulture, $"{created.Stat.Czxid:x}-0");
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    [Fact]
    public async Task Version_1_data_is_read_in_one_round_trip_and_moved_to_two_znodes_at_its_next_write()
    {
        var (url, serviceId, root) = NewRoot();
        var moved = Ids.String("legacy", "moved");
        var kept = Ids.String("legacy", "kept");
        await WriteVersion1Async(root, moved, "state", """{"Value":1,"Text":"v1 plain"}"""u8.ToArray());
        await WriteVersion1Async(root, kept, "state", Gzip("""{"Value":2,"Text":"v1 gzip"}"""));
        await using var zk = await fixture.StartStorageAsync(url: url, serviceId: serviceId);
        Assert.True(zk.Storage.ReadsLegacyLayout);
        Assert.Null(await Raw.ExistsAsync(root + "/layout.v2"));

        // One request per read, whichever layout holds the state.
        using var requests = new ClientRequests(zk.Client.SessionId, zk.Root);
        var read = await zk.ReadAsync<TestState>(moved);
        Assert.Equal(["multiRead"], requests.TakeOperations());
        Assert.Equal(("v1 plain", 1), (read.State.Text, read.State.Value));
        Assert.StartsWith("L", read.ETag);
        var gz = await zk.ReadAsync<TestState>(kept);
        Assert.Equal(("v1 gzip", 2), (gz.State.Text, gz.State.Value));

        // The next write moves it: old node, guard and key node gone; new node (marked) and guard, in one transaction.
        var legacyPath = ClusterSetup.LegacyNodeOf(root, moved, "state");
        var etag = await zk.WriteAsync(moved, new TestState { Value = 3, Text = "moved" }, read.ETag);
        Assert.DoesNotContain("L", etag);
        Assert.Null(await Raw.ExistsAsync(legacyPath));
        Assert.Null(await Raw.ExistsAsync(legacyPath[..legacyPath.LastIndexOf('/')]));
        var path = zk.PathFor(moved, "state");
        var stat = (await Raw.ExistsAsync(path))!.Value;
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{stat.Czxid:x}-0"), etag);
        Assert.Equal([stat.Czxid.ToString("x", CultureInfo.InvariantCulture)], await Raw.GetChildrenAsync(path));
        Marks.After(Marks.Json, (await Raw.GetDataAsync(path)).Data);
        requests.TakeOperations();
        var again = await zk.ReadAsync<TestState>(moved);
        Assert.Equal(["multiRead"], requests.TakeOperations());
        Assert.Equal(("moved", etag), (again.State.Text, again.ETag));

        // Under the grain type: the moved state's 2 znodes, the unmoved one's 3.
        Assert.Equal(5, (await Znodes.DescendantsAsync(Raw, root + "/legacy")).Count);

        // The ETag read from version 1's node is stale now (on the new node too), and writes carry on from the new one.
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(moved, new TestState { Value = 9 }, read.ETag));
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(moved, new TestState { Value = 9 }, read.ETag![1..]));
        etag = await zk.WriteAsync(moved, new TestState { Value = 4 }, etag);
        Assert.Equal(4, (await zk.ReadAsync<TestState>(moved)).State.Value);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Clearing_version_1_data_removes_its_three_znodes_or_moves_it_as_an_empty_record(bool deleteStateOnClear)
    {
        var (url, serviceId, root) = NewRoot();
        var id = Ids.String("legacy", "cleared");
        await WriteVersion1Async(root, id, "state", """{"Value":1}"""u8.ToArray());
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = deleteStateOnClear, url: url, serviceId: serviceId);
        var read = await zk.ReadAsync<TestState>(id);
        var legacyPath = ClusterSetup.LegacyNodeOf(root, id, "state");

        var cleared = await zk.ClearAsync<TestState>(id, read.ETag);
        Assert.Null(await Raw.ExistsAsync(legacyPath));
        Assert.Null(await Raw.ExistsAsync(legacyPath[..legacyPath.LastIndexOf('/')]));
        var after = await zk.ReadAsync<TestState>(id);
        Assert.False(after.RecordExists);
        if (deleteStateOnClear)
        {
            Assert.Null(cleared);
            Assert.Null(await Raw.ExistsAsync(zk.PathFor(id, "state")));
        }
        else
        {
            Assert.Equal(cleared, after.ETag);
            Assert.Equal(0, (await Raw.ExistsAsync(zk.PathFor(id, "state")))!.Value.DataLength);
        }

        // The old ETag matches nothing any more.
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, read.ETag));
    }

    [Fact]
    public async Task A_record_in_version_1_layout_conflicts_with_a_create_or_a_clear_that_does_not_know_it()
    {
        var (url, serviceId, root) = NewRoot();
        var id = Ids.String("legacy", "unknown");
        var v1 = await WriteVersion1Async(root, id, "state", """{"Value":1}"""u8.ToArray());
        await using var zk = await fixture.StartStorageAsync(url: url, serviceId: serviceId);

        var create = await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState { Value = 2 }, null));
        Assert.Equal("L" + v1, create.StoredEtag);
        var clear = await Assert.ThrowsAsync<InconsistentStateException>(() => zk.ClearAsync<TestState>(id, null));
        Assert.Equal("L" + v1, clear.StoredEtag);
        Assert.Null(await Raw.ExistsAsync(zk.PathFor(id, "state")));
        Assert.Equal(1, (await zk.ReadAsync<TestState>(id)).State.Value);
    }

    [Fact]
    public async Task A_new_root_is_marked_and_never_read_in_version_1_layout_the_option_decides_otherwise()
    {
        var (url, serviceId, root) = NewRoot();
        await using (var fresh = await fixture.StartStorageAsync(url: url, serviceId: serviceId))
        {
            Assert.False(fresh.Storage.ReadsLegacyLayout);
            Assert.Equal("2", Encoding.ASCII.GetString((await Raw.GetDataAsync(root + "/layout.v2")).Data));
            using var requests = new ClientRequests(fresh.Client.SessionId, fresh.Root);
            await fresh.ReadAsync<TestState>(Ids.Unique());
            Assert.Equal(["getData"], requests.TakeOperations());
        }

        // Later data in version 1's layout is not looked for under a marked root, unless the option says so.
        var id = Ids.String("legacy", "late");
        await WriteVersion1Async(root, id, "state", """{"Value":5}"""u8.ToArray());
        await using (var marked = await fixture.StartStorageAsync(url: url, serviceId: serviceId))
        {
            Assert.False(marked.Storage.ReadsLegacyLayout);
            Assert.False((await marked.ReadAsync<TestState>(id)).RecordExists);
        }

        await using var forced = await fixture.StartStorageAsync(o => o.ReadLegacyLayout = true, url: url, serviceId: serviceId);
        Assert.True(forced.Storage.ReadsLegacyLayout);
        Assert.Equal(5, (await forced.ReadAsync<TestState>(id)).State.Value);
    }
}
