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
        Assert.Contains("unknown (unreadable)", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", list.Output + list.Error, StringComparison.Ordinal);
    }

    private static async Task<(string, int)> ReadAsync(IStateGrain grain)
    {
        var view = await grain.ReadFresh();
        return (view.Text, view.Number);
    }
}
