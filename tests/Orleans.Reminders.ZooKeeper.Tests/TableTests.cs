using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using static Orleans.Reminders.ZooKeeper.Tests.Reminders;

namespace Orleans.Reminders.ZooKeeper.Tests;

/// <summary>
/// What Orleans' <see cref="IReminderTable"/> promises, against a real server: ETags, conditional removes, ring
/// ranges, exact StartAt and Period, hostile keys — and the layout's own promises (range reads list only the buckets
/// they overlap; rows are readable JSON).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TableTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    [Fact]
    public async Task A_row_reads_back_exactly_and_is_removed_only_with_its_current_etag()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grain = NewGrain();
        const string name = "foo/bar\\#b_a_z?";
        var startAt = new DateTime(2026, 12, 6, 21, 5, 2, DateTimeKind.Utc).AddTicks(1234567); // sub-millisecond ticks too
        var entry = Entry(grain, name, startAt, TimeSpan.FromTicks(600_000_001));

        var etag = await t.Contract.UpsertRow(entry);
        Assert.NotNull(etag);
        var read = await t.Contract.ReadRow(grain, name);
        Assert.NotNull(read);
        Assert.Equal((grain, name, startAt, DateTimeKind.Utc, TimeSpan.FromTicks(600_000_001), etag), (read.GrainId, read.ReminderName, read.StartAt, read.StartAt.Kind, read.Period, read.ETag));

        entry.StartAt = startAt.AddSeconds(1);
        var etag2 = await t.Contract.UpsertRow(entry);
        Assert.NotNull(etag2);
        Assert.NotEqual(etag, etag2);
        Assert.Equal(startAt.AddSeconds(1), (await t.Contract.ReadRow(grain, name))!.StartAt);

        Assert.False(await t.Contract.RemoveRow(grain, name, etag!)); // stale
        Assert.False(await t.Contract.RemoveRow(grain, "bla", etag2!)); // right ETag, other row
        Assert.False(await t.Contract.RemoveRow(NewGrain(), name, etag2!)); // right ETag, other grain
        Assert.True(await t.Contract.RemoveRow(grain, name, etag2!));
        Assert.False(await t.Contract.RemoveRow(grain, name, etag2!)); // gone
        Assert.Null(await t.Contract.ReadRow(grain, name));
        Assert.Empty((await t.Contract.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task An_etag_of_an_earlier_incarnation_never_removes_the_row_created_again_even_at_the_same_version()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grain = NewGrain();
        var first = await t.Contract.UpsertRow(Entry(grain, "r"));
        Assert.True(await t.Contract.RemoveRow(grain, "r", first!));
        var second = await t.Contract.UpsertRow(Entry(grain, "r"));
        Assert.NotEqual(first, second);
        Assert.EndsWith(".0", first, StringComparison.Ordinal); // both incarnations at znode version 0
        Assert.EndsWith(".0", second, StringComparison.Ordinal);

        Assert.False(await t.Contract.RemoveRow(grain, "r", first!));
        Assert.NotNull(await t.Contract.ReadRow(grain, "r"));
        foreach (var foreign in new[] { "", "garbage", "x.1", "0123456789abcdef", "0123456789abcdef.-1", "0123456789ABCDEF.0" })
        {
            Assert.False(await t.Contract.RemoveRow(grain, "r", foreign));
        }

        Assert.True(await t.Contract.RemoveRow(grain, "r", second!));
    }

    [Fact]
    public async Task Concurrent_upserts_of_one_row_each_get_a_distinct_etag_and_the_row_ends_as_one_of_them()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        for (var g = 0; g < 5; g++)
        {
            var grain = NewGrain();
            var baseTime = DateTime.UtcNow;
            var writes = Enumerable.Range(0, 8).Select(j => Task.Run(() => t.Contract.UpsertRow(Entry(grain, g.ToString(System.Globalization.CultureInfo.InvariantCulture), baseTime.AddMilliseconds(j))))).ToList();
            var etags = await Task.WhenAll(writes);
            Assert.Equal(etags.Length, etags.Distinct().Count());
            Assert.All(etags, Assert.NotNull);
            var final = (await t.Contract.ReadRow(grain, g.ToString(System.Globalization.CultureInfo.InvariantCulture)))!;
            Assert.Contains(final.ETag, etags);
            Assert.Single((await t.Contract.ReadRows(grain)).Reminders);
        }
    }

    [Fact]
    public async Task An_upsert_with_a_stale_or_missing_etag_still_writes_last_writer_wins()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grain = NewGrain();
        var entry = Entry(grain, "r");
        var first = await t.Contract.UpsertRow(entry);
        entry.ETag = first;
        var second = await t.Contract.UpsertRow(entry); // with the current ETag: one setData
        entry.ETag = first;
        entry.Period = TimeSpan.FromMinutes(7);
        var third = await t.Contract.UpsertRow(entry); // stale: still written
        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        var read = (await t.Contract.ReadRow(grain, "r"))!;
        Assert.Equal((TimeSpan.FromMinutes(7), third), (read.Period, read.ETag));
    }

    [Fact]
    public async Task Range_reads_follow_orleans_ring_semantics_including_wrap_around_and_the_exact_boundaries()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var rows = new Dictionary<uint, GrainId>();
        var writes = new List<Task>();
        for (var i = 0; i < 300; i++)
        {
            var grain = NewGrain();
            rows[grain.GetUniformHashCode()] = grain;
            writes.Add(t.Contract.UpsertRow(Entry(grain, "tick")));
        }

        await Task.WhenAll(writes);
        var hashes = rows.Keys.Order().ToList();
        Assert.Equal(rows.Count, (await t.Contract.ReadRows(0, uint.MaxValue)).Reminders.Count + (rows.ContainsKey(0) ? 1 : 0));
        Assert.Equal(rows.Count, (await t.Contract.ReadRows(0, 0)).Reminders.Count); // begin == end: the whole ring

        async Task Check(uint begin, uint end)
        {
            var expected = hashes.Where(h => begin < end ? h > begin && h <= end : h > begin || h <= end).ToHashSet();
            var actual = (await t.Contract.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.GetUniformHashCode()).ToList();
            Assert.Equal(actual.Count, actual.Distinct().Count());
            Assert.True(expected.SetEquals(actual), $"({begin:X8}, {end:X8}]: expected {expected.Count}, got {actual.Count}");
        }

        // The boundaries: begin excluded, end included, on rows' own hashes; one row alone; wrap-around at both ends.
        var (a, b, c) = (hashes[10], hashes[150], hashes[290]);
        await Check(a, b);
        await Check(b, a);
        await Check(a - 1, a);
        await Check(a, a + 1);
        await Check(c, c);
        await Check(uint.MaxValue, c);
        await Check(c, 0);
        await Check(hashes[^1], hashes[0]);
        var random = new Random(17);
        for (var i = 0; i < 200; i++)
        {
            await Check((uint)random.NextInt64(0, 1L << 32), (uint)random.NextInt64(0, 1L << 32));
        }
    }

    [Fact]
    public async Task A_range_read_lists_only_the_buckets_it_overlaps_and_reads_only_the_rows_in_it()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grains = Enumerable.Range(0, 400).Select(_ => NewGrain()).ToList();
        await Task.WhenAll(grains.Select(g => t.Contract.UpsertRow(Entry(g, "tick"))));

        // The range of one bucket that holds rows, e.g. 0x42: (0x41FFFFFF, 0x42FFFFFF].
        var bucket = grains[0].GetUniformHashCode() >> 24;
        using var requests = new ClientRequests(t.Client.SessionId);
        var rows = (await t.Contract.ReadRows((bucket << 24) - 1, (bucket << 24) | 0x00FFFFFF)).Reminders;
        var seen = requests.Take();
        var inBucket = grains.Count(g => g.GetUniformHashCode() >> 24 == bucket);
        Assert.Equal(inBucket, rows.Count);
        Assert.Equal(["getChildren " + t.Table.Root, $"getChildren {t.Table.Root}/{bucket:X2}"], seen.Where(s => s.StartsWith("getChildren", StringComparison.Ordinal)));
        Assert.Equal(1, seen.Count(s => s.StartsWith("multiRead", StringComparison.Ordinal)));

        // Half a bucket: the same listings, only the rows whose hash (in their name) is in range are read.
        var half = (await t.Contract.ReadRows((bucket << 24) | 0x007FFFFF, (bucket << 24) | 0x00FFFFFF)).Reminders;
        Assert.Equal(grains.Count(g => g.GetUniformHashCode() >> 24 == bucket && (g.GetUniformHashCode() & 0x00FFFFFF) > 0x007FFFFF), half.Count);
    }

    [Fact]
    public async Task A_grains_rows_are_read_together_and_no_other_grains_even_in_the_same_bucket()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grain = NewGrain();
        var names = new[] { "a", "b", "a.b", "%41", "" };
        foreach (var name in names)
        {
            await t.Contract.UpsertRow(Entry(grain, name));
        }

        // Others in the same bucket: grains whose hash shares the top 8 bits.
        var neighbours = 0;
        while (neighbours < 3)
        {
            var other = NewGrain();
            if (other.GetUniformHashCode() >> 24 == grain.GetUniformHashCode() >> 24)
            {
                await t.Contract.UpsertRow(Entry(other, "a"));
                neighbours++;
            }
        }

        var rows = (await t.Contract.ReadRows(grain)).Reminders;
        Assert.Equal(names.Order(StringComparer.Ordinal), rows.Select(r => r.ReminderName).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(grain, r.GrainId));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with/slash and space")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("%2F")]
    [InlineData("ünïcødé ✓ 🦀")]
    [InlineData("tab\tnew\nline")]
    [InlineData("zookeeper")]
    public async Task Hostile_grain_keys_and_reminder_names_round_trip(string text)
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grains = new[]
        {
            GrainId.Create("hostile-grain", text.Length == 0 ? "k" : text),
            NewGrain(text),
            GrainId.Create(GrainType.Create("x"), GrainIdKeyExtensions.CreateIntegerKey(-1, text)),
        };
        foreach (var grain in grains)
        {
            var etag = await t.Contract.UpsertRow(Entry(grain, text));
            var read = await t.Contract.ReadRow(grain, text);
            Assert.Equal((grain, text, etag), (read!.GrainId, read.ReminderName, read.ETag));
            Assert.Single((await t.Contract.ReadRows(grain)).Reminders);
            Assert.True(await t.Contract.RemoveRow(grain, text, etag!));
        }
    }

    [Fact]
    public async Task Rows_are_readable_json_a_corrupt_row_fails_clearly_and_clearing_empties_the_table()
    {
        await using var t = await TableHandle.StartAsync(Servers);
        var grain = NewGrain();
        await t.Contract.UpsertRow(Entry(grain, "r", new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc), TimeSpan.FromHours(1)));
        var bucket = t.Table.Root + "/" + (grain.GetUniformHashCode() >> 24).ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        var row = bucket + "/" + Assert.Single(await t.Client.GetChildrenAsync(bucket));
        using (var json = JsonDocument.Parse((await t.Client.GetDataAsync(row)).Data))
        {
            Assert.Equal(grain.ToString(), json.RootElement.GetProperty("grainId").GetString());
            Assert.Equal("r", json.RootElement.GetProperty("reminderName").GetString());
            Assert.Equal("2030-01-02T03:04:05.0000000Z", json.RootElement.GetProperty("startAt").GetString());
            Assert.Equal("01:00:00", json.RootElement.GetProperty("period").GetString());
        }

        Assert.Single(await t.Client.GetChildrenAsync(row)); // the incarnation guard

        await t.Client.SetDataAsync(row, Encoding.UTF8.GetBytes("{not json"));
        var error = await Assert.ThrowsAsync<ZooKeeperReminderTableException>(() => t.Contract.ReadRow(grain, "r"));
        Assert.Contains(row, error.Message, StringComparison.Ordinal);
        Assert.Contains(grain.ToString(), error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ZooKeeperReminderTableException>(() => t.Contract.ReadRows(0, 0));

        await t.Contract.TestOnlyClearTable();
        Assert.Empty((await t.Contract.ReadRows(0, 0)).Reminders);
        Assert.NotNull(await t.Contract.UpsertRow(Entry(grain, "again")));
        Assert.Single((await t.Contract.ReadRows(0, 0)).Reminders);
    }

    [Fact]
    public async Task Two_services_on_one_container_path_keep_separate_tables()
    {
        await using var a = await TableHandle.StartAsync(Servers, "svc-a/x", "/shared-reminders");
        await using var b = await TableHandle.StartAsync(Servers, "svc-b/x", "/shared-reminders");
        var grain = NewGrain();
        await a.Contract.UpsertRow(Entry(grain, "r"));
        Assert.Null(await b.Contract.ReadRow(grain, "r"));
        Assert.Empty((await b.Contract.ReadRows(0, 0)).Reminders);
        Assert.Single((await a.Contract.ReadRows(0, 0)).Reminders);
        Assert.Equal("/shared-reminders/svc-a%2Fx/reminders", a.Table.Root);
    }
}
