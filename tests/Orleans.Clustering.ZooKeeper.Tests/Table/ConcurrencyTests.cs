using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper.Tests.Table;

/// <summary>Many writers on separate sessions racing on the table version; readers never see a torn snapshot.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests(ServerFixture fixture)
{
    [Fact]
    public async Task Writers_racing_on_the_table_version_each_win_exactly_one_version()
    {
        const int Writers = 8;
        const int UpdatesEach = 5;
        var url = fixture.NewUrl();
        var clusterId = "race";
        var tables = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => fixture.StartTableAsync(url, clusterId)));
        try
        {
            var won = new ConcurrentBag<(int Writer, int Version)>();
            await Task.WhenAll(tables.Select((t, w) => Task.Run(async () =>
            {
                var entry = Entries.New();
                while (true)
                {
                    var read = await t.Membership.ReadAllAsync(default);
                    if (await t.Membership.InsertRowAsync(entry, read.Version.Next(), default))
                    {
                        won.Add((w, read.Version.Next().Version));
                        break;
                    }
                }

                for (var u = 0; u < UpdatesEach;)
                {
                    var read = await t.Membership.ReadAllAsync(default);
                    var (row, etag) = read.TryGet(entry.SiloAddress)!;
                    row.SiloName = $"writer-{w}-update-{u}";
                    if (await t.Membership.UpdateRowAsync(row, etag, read.Version.Next(), default))
                    {
                        won.Add((w, read.Version.Next().Version));
                        u++;
                    }
                }
            }))).WaitAsync(TimeSpan.FromSeconds(90));

            var final = await tables[0].Membership.ReadAllAsync(default);
            var total = Writers * (1 + UpdatesEach);
            Assert.Equal(total, final.Version.Version);
            Assert.Equal(Writers, final.Members.Count);

            // Every version from 1 to total was won by exactly one write: no lost update, no double win.
            Assert.Equal(Enumerable.Range(1, total), won.Select(x => x.Version).Order());
            Assert.All(final.Members, m => Assert.EndsWith($"-update-{UpdatesEach - 1}", m.Item1.SiloName, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in tables)
            {
                await t.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The defect dotnet/orleans#11316 fixed in the old provider: rows of one table version reported with another
    /// version's number. Each write stamps the version it creates into a row; every snapshot must show exactly the
    /// table version of its newest stamp, and ReadRow must never show a row newer than its version.
    /// </summary>
    [Fact]
    public async Task Reads_racing_with_writes_always_see_rows_and_version_of_one_moment()
    {
        var url = fixture.NewUrl();
        const string ClusterId = "snapshots";
        await using var writerA = await fixture.StartTableAsync(url, ClusterId);
        await using var writerB = await fixture.StartTableAsync(url, ClusterId);
        await using var reader = await fixture.StartTableAsync(url, ClusterId);
        var silos = new[] { Entries.NewSilo(), Entries.NewSilo(), Entries.NewSilo() };
        foreach (var silo in silos)
        {
            var entry = Entries.New(silo: silo);
            entry.SiloName = "v1";
            var read = await writerA.Membership.ReadAllAsync(default);
            entry.SiloName = $"v{read.Version.Next().Version}";
            Assert.True(await writerA.Membership.InsertRowAsync(entry, read.Version.Next(), default));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var writes = 0;
        async Task WriteLoop(TableHandle t, int offset)
        {
            for (var i = offset; !stop.IsCancellationRequested; i++)
            {
                var read = await t.Membership.ReadAllAsync(default);
                var (row, etag) = read.TryGet(silos[i % silos.Length])!;
                row.SiloName = $"v{read.Version.Next().Version}";
                if (await t.Membership.UpdateRowAsync(row, etag, read.Version.Next(), default))
                {
                    Interlocked.Increment(ref writes);
                }
            }
        }

        var snapshots = 0;
        async Task ReadLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                var all = await reader.Membership.ReadAllAsync(default);
                var newest = all.Members.Max(m => int.Parse(m.Item1.SiloName[1..], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(all.Version.Version, newest);
                var one = await reader.Membership.ReadRowAsync(silos[snapshots % silos.Length], default);
                Assert.True(int.Parse(one.Members[0].Item1.SiloName[1..], System.Globalization.CultureInfo.InvariantCulture) <= one.Version.Version);
                snapshots++;
            }
        }

        await Task.WhenAll(Task.Run(() => WriteLoop(writerA, 0)), Task.Run(() => WriteLoop(writerB, 1)), Task.Run(ReadLoop));
        Assert.True(writes > 20, $"only {writes} writes");
        Assert.True(snapshots > 20, $"only {snapshots} snapshots");
    }
}
