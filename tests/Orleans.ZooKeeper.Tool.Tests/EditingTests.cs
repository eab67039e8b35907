using System.Text;
using System.Text.Json;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary><c>states put</c> / <c>states delete</c>: conditional on the ETag, as grain storage's own writes are, and read back by grains.</summary>
[Collection(ToolClusterCollection.Name)]
public sealed class EditingTests(ToolClusterFixture fixture)
{
    private const string Service = ToolClusterFixture.ServiceId;

    [Fact]
    public async Task Put_needs_the_current_etag_or_force_and_the_grain_reads_what_was_put()
    {
        var key = "put-" + Guid.NewGuid().ToString("N")[..6];
        var grain = fixture.Cluster.Client.GetGrain<IEditGrain>(key);
        var etag = await grain.Write("before", 1);

        var without = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", """{"Text":"x","Number":2}""");
        Assert.Equal(1, without.ExitCode);
        Assert.Contains($"without its ETag: it is {etag} now. Pass --etag {etag}", without.Error, StringComparison.Ordinal);

        var stale = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", """{"Text":"x","Number":2}""", "--etag", "1-0");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains($"has ETag {etag}, not 1-0", stale.Error, StringComparison.Ordinal);
        Assert.Equal(("before", 1), await ReadAsync(grain));

        var put = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", """{ "Text": "repaired", "Number": 7 }""", "--etag", etag!, "--json");
        Assert.True(put.ExitCode == 0, put.ToString());
        var newETag = JsonDocument.Parse(put.Output).RootElement.GetProperty("etag").GetString();
        var fresh = await grain.ReadFresh();
        Assert.Equal(("repaired", 7, newETag), (fresh.Text, fresh.Number, fresh.ETag));

        // The grain's next write goes on from the ETag it read: the put kept the incarnation and its guard.
        var after = await grain.Write("grain again", 8);
        Assert.NotEqual(newETag, after);

        var forced = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", """{"Text":"forced","Number":9}""", "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(("forced", 9), await ReadAsync(grain));

        var notJson = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", "{oops", "--force");
        Assert.Equal(1, notJson.ExitCode);
        Assert.Contains("--value is not JSON", notJson.Error, StringComparison.Ordinal);
        Assert.Equal(("forced", 9), await ReadAsync(grain));
    }

    [Fact]
    public async Task Put_creates_a_missing_state_with_its_guard_and_the_grain_then_writes_on_it()
    {
        var key = "new-" + Guid.NewGuid().ToString("N")[..6];
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{"Text":"from a file","Number":3}""");
            var put = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--file", file);
            Assert.True(put.ExitCode == 0, put.ToString());
            Assert.StartsWith("created ", put.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        var grain = fixture.Cluster.Client.GetGrain<IEditGrain>(key);
        Assert.Equal(("from a file", 3), await ReadAsync(grain));
        var path = $"{fixture.BasePath}/{Service}/edit/{key}.data";
        var stat = await fixture.Client.ExistsAsync(path);
        Assert.NotNull(await fixture.Client.ExistsAsync(path + "/" + stat!.Value.Czxid.ToString("x")));
        await grain.Write("written by the grain", 4);
        Assert.Equal(("written by the grain", 4), await ReadAsync(grain));
    }

    [Fact]
    public async Task Delete_is_conditional_and_removes_the_state_with_its_guard()
    {
        var key = "del-" + Guid.NewGuid().ToString("N")[..6];
        var grain = fixture.Cluster.Client.GetGrain<IEditGrain>(key);
        var etag = await grain.Write("doomed", 1);

        var without = await fixture.RunAsync("states", "delete", "edit", key, "data", "-s", Service);
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("--etag " + etag, without.Error, StringComparison.Ordinal);

        var deleted = await fixture.RunAsync("states", "delete", "edit", key, "data", "-s", Service, "--etag", etag!);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Null(await fixture.Client.ExistsAsync($"{fixture.BasePath}/{Service}/edit/{key}.data"));
        Assert.False((await grain.ReadFresh()).Exists);

        var again = await fixture.RunAsync("states", "delete", "edit", key, "data", "-s", Service, "--etag", etag!);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"No state 'data' of grain 'edit/{key}'", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_service_type_and_key_are_one_clear_line_and_exit_1()
    {
        await fixture.Cluster.Client.GetGrain<IEditGrain>("exists").Write("x", 1);
        var service = await fixture.RunAsync("states", "list", "-s", "nope");
        Assert.Equal(1, service.ExitCode);
        Assert.Contains("Unknown service 'nope'", service.Error, StringComparison.Ordinal);
        Assert.Contains("services with grain state here: svc-tool", service.Error, StringComparison.Ordinal);

        var type = await fixture.RunAsync("states", "get", "nosuchtype", "k", "data", "-s", Service);
        Assert.Equal(1, type.ExitCode);
        Assert.Contains("Unknown grain type 'nosuchtype'", type.Error, StringComparison.Ordinal);

        var key = await fixture.RunAsync("states", "get", "edit", "missing-key", "data", "-s", Service);
        Assert.Equal(1, key.ExitCode);
        Assert.Contains("No state 'data' of grain 'edit/missing-key'", key.Error, StringComparison.Ordinal);

        foreach (var run in new[] { service, type, key })
        {
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        var usage = await fixture.RunAsync("states", "get", "edit");
        Assert.Equal(2, usage.ExitCode);
    }

    [Fact]
    public async Task A_corrupt_state_is_shown_raw_with_the_reason_never_a_stack_trace()
    {
        var grain = fixture.Cluster.Client.GetGrain<IEditGrain>("corrupt");
        await grain.Write("fine", 1);
        var path = $"{fixture.BasePath}/{Service}/edit/corrupt.data";
        await fixture.Client.SetDataAsync(path, Encoding.UTF8.GetBytes("\u001ejson\n{\"Text\": broken"));
        var get = await fixture.RunAsync("states", "get", "edit", "corrupt", "data", "-s", Service);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("problem   not valid JSON", get.Output, StringComparison.Ordinal);
        Assert.Contains("raw       \\x1ejson\\n{\"Text\": broken", get.Output, StringComparison.Ordinal);

        await fixture.Client.SetDataAsync(path, Encoding.UTF8.GetBytes("\u001eyaml\nText: x"));
        var json = await fixture.RunAsync("states", "get", "edit", "corrupt", "data", "-s", Service, "--json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Contains("the format mark cannot be read", document.RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal("\u001eyaml\nText: x", Encoding.UTF8.GetString(Convert.FromBase64String(document.RootElement.GetProperty("raw").GetString()!)));

        var list = await fixture.RunAsync("states", "list", "-s", Service, "--type", "edit");
        Assert.Contains("unknown (damaged)", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", list.Output + list.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_and_delete_never_touch_a_state_deleted_and_created_again_since_the_etag_was_read()
    {
        var key = "race-" + Guid.NewGuid().ToString("N")[..6];
        var grain = fixture.Cluster.Client.GetGrain<IEditGrain>(key);
        var oldETag = await grain.Write("first incarnation", 1);
        var path = $"{fixture.BasePath}/{Service}/edit/{key}.data";

        // Deleted and created again at the same version (0), as a clear-by-delete and a new write would.
        var old = (await fixture.Client.ExistsAsync(path))!.Value;
        await fixture.Client.DeleteAsync(path + "/" + old.Czxid.ToString("x"));
        await fixture.Client.DeleteAsync(path);
        var newer = (await fixture.Client.CreateAsync(path, Encoding.UTF8.GetBytes("\u001ejson\n{\"Text\":\"second incarnation\",\"Number\":2}"))).Stat;
        await fixture.Client.CreateAsync(path + "/" + newer.Czxid.ToString("x"));
        Assert.Equal(0, newer.Version);
        Assert.Equal(old.Version, newer.Version);

        var put = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--etag", oldETag!, "--value", """{"Text":"stale","Number":3}""");
        Assert.Equal(1, put.ExitCode);
        Assert.Contains($"has ETag {newer.Czxid:x}-0, not {oldETag}", put.Error, StringComparison.Ordinal);

        var delete = await fixture.RunAsync("states", "delete", "edit", key, "data", "-s", Service, "--etag", oldETag!);
        Assert.Equal(1, delete.ExitCode);

        // The same race inside one write: the state was read (first incarnation, version 0), then replaced before
        // the tool's transaction. The guard of the incarnation that was read is missing, and is not put on the new one.
        await using var session = await Connecting.ToolSession.OpenAsync(ZooKeeperTargetResolver.Resolve(fixture.Url, null), TimeSpan.FromSeconds(10), CancellationToken.None);
        var store = new States.StateStore(session, Service);
        var stale = new States.StoredState("edit", key, "data", path, old, []);
        await Assert.ThrowsAsync<States.StateConflictException>(() => store.ReplaceAsync(stale, Encoding.UTF8.GetBytes("\u001ejson\n{}"), CancellationToken.None));
        await Assert.ThrowsAsync<States.StateConflictException>(() => store.DeleteAsync(stale, CancellationToken.None));
        Assert.Equal(("second incarnation", 2), await ReadAsync(grain));
        Assert.Equal([newer.Czxid.ToString("x")], await fixture.Client.GetChildrenAsync(path)); // no guard of the old incarnation put on the new one
    }

    [Fact]
    public async Task A_state_still_in_the_version_1_layout_is_not_shadowed_by_a_put()
    {
        var key = "v1-" + Guid.NewGuid().ToString("N")[..6];
        var legacy = $"{fixture.BasePath}/{Service}/edit/{key}/data";
        await fixture.Client.CreateWithParentsAsync(legacy, Encoding.UTF8.GetBytes("{\"Text\":\"old layout\",\"Number\":1}"));

        var put = await fixture.RunAsync("states", "put", "edit", key, "data", "-s", Service, "--value", """{"Text":"new","Number":2}""");
        Assert.Equal(1, put.ExitCode);
        Assert.Contains("version-1 layout", put.Error, StringComparison.Ordinal);
        Assert.Null(await fixture.Client.ExistsAsync($"{fixture.BasePath}/{Service}/edit/{key}.data"));

        var get = await fixture.RunAsync("states", "get", "edit", key, "data", "-s", Service);
        Assert.Equal(1, get.ExitCode);
        Assert.Contains("still in the version-1 layout", get.Error, StringComparison.Ordinal);

        var export = await fixture.RunAsync("states", "export", "-s", Service, "--type", "edit");
        Assert.Equal(1, export.ExitCode); // the backup misses it, and says so
        Assert.Contains("NOT in the backup", export.Error, StringComparison.Ordinal);
        await fixture.Client.DeleteRecursiveAsync($"{fixture.BasePath}/{Service}/edit/{key}");
    }

    [Fact]
    public async Task Unmarked_data_of_another_serializer_is_shown_raw_with_a_note_not_as_damage()
    {
        await fixture.Cluster.Client.GetGrain<IEditGrain>("opaque").Write("x", 1);
        var path = $"{fixture.BasePath}/{Service}/edit/opaque.data";
        await fixture.Client.SetDataAsync(path, new byte[] { 0x00, 0x01, 0x02, 0xff });
        var get = await fixture.RunAsync("states", "get", "edit", "opaque", "data", "-s", Service);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("note      written before format marking by a serializer other than JSON", get.Output, StringComparison.Ordinal);
        Assert.Contains("raw       \\x00\\x01\\x02\\xff", get.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("problem", get.Output, StringComparison.Ordinal);
    }

    private static async Task<(string, int)> ReadAsync(IStateGrain grain)
    {
        var view = await grain.ReadFresh();
        return (view.Text, view.Number);
    }
}
