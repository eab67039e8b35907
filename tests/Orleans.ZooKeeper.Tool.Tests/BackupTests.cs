using System.Text;
using System.Text.Json;

namespace Orleans.ZooKeeper.Tool.Tests;

/// <summary><c>states export</c> / <c>states import</c>: exact round trips, refusing newer records, resuming after Ctrl-C.</summary>
[Collection(ToolClusterCollection.Name)]
public sealed class BackupTests(ToolClusterFixture fixture)
{
    private const string Service = ToolClusterFixture.ServiceId;

    [Fact]
    public async Task Export_wipe_import_restores_every_state_byte_for_byte_and_grains_read_them()
    {
        var keys = Enumerable.Range(0, 12).Select(i => $"rt-{i}").Append("odd key/ü.x").ToList();
        foreach (var key in keys)
        {
            await fixture.Cluster.Client.GetGrain<IBackupGrain>(key).Write("value " + key, key.Length);
        }

        var export = await fixture.RunAsync("states", "export", "-s", Service, "--type", "backup");
        Assert.True(export.ExitCode == 0, export.ToString());
        var before = Records(export.Output);
        Assert.Equal(keys.Order(StringComparer.Ordinal), before.Keys.Order(StringComparer.Ordinal));

        Assert.True(await fixture.Client.DeleteRecursiveAsync($"{fixture.BasePath}/{Service}/backup"));
        Assert.False((await fixture.Cluster.Client.GetGrain<IBackupGrain>("rt-0").ReadFresh()).Exists);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, export.Output);
            var import = await fixture.RunAsync("states", "import", file);
            Assert.True(import.ExitCode == 0, import.ToString());
            Assert.Contains($"restored {keys.Count} of {keys.Count} state(s)", import.Output, StringComparison.Ordinal);
            Assert.Contains($"{keys.Count} created, 0 updated, 0 unchanged, 0 refused", import.Output, StringComparison.Ordinal);

            var again = await fixture.RunAsync("states", "export", "-s", Service, "--type", "backup");
            var after = Records(again.Output);
            Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
            foreach (var key in keys)
            {
                Assert.Equal(before[key], after[key]); // the stored bytes, format mark included
                var view = await fixture.Cluster.Client.GetGrain<IBackupGrain>(key).ReadFresh();
                Assert.Equal(("value " + key, key.Length), (view.Text, view.Number));
            }

            // The grains write on from what they read: the restored states have their guards.
            await fixture.Cluster.Client.GetGrain<IBackupGrain>("rt-1").Write("after restore", 1);

            var twice = await fixture.RunAsync("states", "import", file, "--json");
            using var summary = JsonDocument.Parse(twice.Output);
            Assert.Equal(1, twice.ExitCode); // rt-1 was written after the backup: refused
            Assert.Equal(keys.Count - 1, summary.RootElement.GetProperty("counts").GetProperty("unchanged").GetInt32());
            Assert.Equal(1, summary.RootElement.GetProperty("counts").GetProperty("refused").GetInt32());
            Assert.Contains("/backup/rt-1.data", summary.RootElement.GetProperty("refused")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal("after restore", (await fixture.Cluster.Client.GetGrain<IBackupGrain>("rt-1").ReadFresh()).Text);

            // Into another service: its root is created as grain storage creates one (with the layout marker).
            var copy = await fixture.RunAsync("states", "import", file, "--service", "svc-copy");
            Assert.True(copy.ExitCode == 0, copy.ToString());
            Assert.Equal("2", Encoding.UTF8.GetString((await fixture.Client.GetDataAsync($"{fixture.BasePath}/svc-copy/layout.v2")).Data));
            Assert.Equal(before, Records((await fixture.RunAsync("states", "export", "-s", "svc-copy")).Output));

            var forced = await fixture.RunAsync("states", "import", file, "--force");
            Assert.True(forced.ExitCode == 0, forced.ToString());
            Assert.Contains("0 created, 1 updated", forced.Output, StringComparison.Ordinal);
            Assert.Equal("value rt-1", (await fixture.Cluster.Client.GetGrain<IBackupGrain>("rt-1").ReadFresh()).Text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_interrupted_import_leaves_every_state_old_or_new_and_running_it_again_finishes()
    {
        const int Count = 400;
        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => fixture.Cluster.Client.GetGrain<IBulkGrain>($"bulk-{i:D4}").Write("v" + i, i)));
        var export = await fixture.RunAsync("states", "export", "-s", Service, "--type", "bulk");
        var backup = Records(export.Output);
        Assert.Equal(Count, backup.Count);
        var typeNode = $"{fixture.BasePath}/{Service}/bulk";
        Assert.True(await fixture.Client.DeleteRecursiveAsync(typeNode));

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, export.Output);
            using var ctrlC = new CancellationTokenSource();
            var importing = ToolClusterFixture.RunRawAsync(["--url", fixture.Url, "states", "import", file], ctrlC.Token);
            await TestWait.UntilAsync(async () => await fixture.Client.ExistsAsync(typeNode) is { } s && s.NumChildren >= 40 || importing.IsCompleted, TimeSpan.FromSeconds(60), "the import is under way");
            ctrlC.Cancel();
            var interrupted = await importing;
            Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
            Assert.Contains("Run the same import again to finish", interrupted.Error, StringComparison.Ordinal);

            // Every state is absent (old) or exactly the backup's bytes (new); none is half written.
            var present = await fixture.Client.GetChildrenAsync(typeNode);
            Assert.InRange(present.Count, 40, Count - 1);
            foreach (var name in present)
            {
                var data = (await fixture.Client.GetDataAsync(typeNode + "/" + name)).Data;
                Assert.Equal(backup[name[..name.IndexOf('.')]], Convert.ToBase64String(data));
            }

            var resumed = await fixture.RunAsync("states", "import", file);
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            Assert.Contains($"{Count - present.Count} created, 0 updated, {present.Count} unchanged, 0 refused", resumed.Output, StringComparison.Ordinal);
            var final = Records((await fixture.RunAsync("states", "export", "-s", Service, "--type", "bulk")).Output);
            Assert.Equal(backup, final);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_damaged_backup_is_refused_before_anything_is_written()
    {
        await fixture.Cluster.Client.GetGrain<IEditGrain>("damaged-1").Write("kept", 1);
        var export = await fixture.RunAsync("states", "export", "-s", Service, "--type", "edit", "--prefix", "damaged-");
        var lines = export.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var file = Path.GetTempFileName();
        try
        {
            // Cut short: the header's count does not match.
            await File.WriteAllTextAsync(file, lines[0] + "\n");
            var cut = await fixture.RunAsync("states", "import", file);
            Assert.Equal(1, cut.ExitCode);
            Assert.Contains("holds 0 state record(s) but its header says 1", cut.Error, StringComparison.Ordinal);

            await File.WriteAllTextAsync(file, lines[0] + "\n{\"grainType\":\"edit\",\"grainKey\":\"damaged-1\",\"state\":\"data\",\"etag\":\"x\",\"modified\":0,\"data\":\"not base64!\"}\n");
            var bad = await fixture.RunAsync("states", "import", file);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("line 2 is not a state record", bad.Error, StringComparison.Ordinal);

            await File.WriteAllTextAsync(file, "hello\n");
            var notBackup = await fixture.RunAsync("states", "import", file);
            Assert.Equal(1, notBackup.ExitCode);
            Assert.Contains("line 1", notBackup.Error, StringComparison.Ordinal);
            Assert.Equal("kept", (await fixture.Cluster.Client.GetGrain<IEditGrain>("damaged-1").ReadFresh()).Text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>grain key → stored bytes (base64) of the records of an export.</summary>
    private static Dictionary<string, string> Records(string export)
    {
        var lines = export.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var header = JsonDocument.Parse(lines[0]);
        Assert.Equal("orleans-zk/states", header.RootElement.GetProperty("kind").GetString());
        Assert.Equal(lines.Length - 1, header.RootElement.GetProperty("count").GetInt32());
        return lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("grainKey").GetString()!, r => r.GetProperty("data").GetString()!);
    }
}
