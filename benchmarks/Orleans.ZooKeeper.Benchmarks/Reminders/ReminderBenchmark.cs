using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;
using StackExchange.Redis;
using static System.FormattableString;

namespace Orleans.ZooKeeper.Benchmarks.Reminders;

internal sealed record ReminderBenchmarkOptions
{
    public int Rounds { get; init; } = 3;

    public int Concurrency { get; init; } = 64;

    /// <summary>Upserts and removes timed per row and round.</summary>
    public int Operations { get; init; } = 2000;

    /// <summary>Range reads timed per row and round (each about 1,000 rows).</summary>
    public int RangeReads { get; init; } = 10;

    public static bool TryParse(ReadOnlySpan<string> args, out ReminderBenchmarkOptions options, out string error)
    {
        options = new ReminderBenchmarkOptions();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is not ("--rounds" or "--concurrency" or "--ops") || i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                error = $"unknown or incomplete argument '{args[i]}' (--rounds N, --concurrency N, --ops N)";
                return false;
            }

            options = args[i] switch
            {
                "--rounds" => options with { Rounds = value },
                "--concurrency" => options with { Concurrency = value },
                _ => options with { Operations = value },
            };
            i++;
        }

        return true;
    }
}

/// <summary>
/// `reminders`: Orleans' reminder table on ZooKeeper (ours) vs Orleans' Redis reminder table vs our raw client doing
/// the same znode work, with 1,000 and 100,000 rows: new-row upserts (filling the table), updates (with the row's
/// ETag, as Orleans upserts), removes, and range reads of about 1,000 rows each (Orleans reads its ring range).
/// Rounds interleave the rows; tables show medians. Last lines: `range read rows/s at 100k ÷ at 1k: X` (ours; the
/// cost of a range read follows the range, not the table) and `provider/raw: X` (ours ÷ raw, the lowest of the
/// operations' ratios at 100k).
/// </summary>
internal static class ReminderBenchmark
{
    private const int Small = 1_000;
    private const int Large = 100_000;
    private const int RowsPerRange = 1_000;

    public static async Task<int> RunAsync(ReminderBenchmarkOptions options, CancellationToken ct)
    {
        var serverOptions = new ZooKeeperServerOptions { FastStartupJvm = false, ForceSync = false };
        await using var zk = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
        await using var redis = await Storage.LocalRedisServer.StartAsync(ct);
        await using var raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString }, logger: null, ct);
        Console.WriteLine($"Reminder table benchmark: ours (ZooKeeper) vs Orleans' Redis reminder table vs our raw client doing the same znode work");
        Console.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores; ZooKeeper standalone {zk.ConnectString} (forceSync=no), Redis {redis.Version} {redis.EndPoint} (no persistence); concurrency {options.Concurrency}, {options.Operations} ops per timed phase, {options.RangeReads} range reads of ~{RowsPerRange} rows, {options.Rounds} rounds"));

        var results = new Dictionary<int, Dictionary<string, Dictionary<string, List<double>>>>();
        foreach (var size in new[] { Small, Large })
        {
            var service = "bench-" + size.ToString(CultureInfo.InvariantCulture);
            await using var ours = await OursAsync(zk, service, ct);
            await using var redisTable = await RedisAsync(redis, service, ct);
            var rawTable = new RawReminderTable(raw, "/bench-raw-reminders/" + service);
            await rawTable.TestOnlyClearTable(); // and makes its buckets
            var rows = new (string Name, IReminderTable Table)[] { ("ZooKeeper table (ours)", ours.Table), ("raw client, same znodes", rawTable), ("Redis table (Orleans)", redisTable.Table) };
            var grains = Enumerable.Range(0, size).Select(i => GrainId.Create("bench", i.ToString(CultureInfo.InvariantCulture))).ToArray();
            var perRow = rows.ToDictionary(r => r.Name, _ => new Dictionary<string, List<double>>());
            results[size] = perRow;

            Console.WriteLine();
            Console.WriteLine(Invariant($"{size:N0} rows: filling each table ..."));
            var etags = new Dictionary<string, string?[]>();
            foreach (var (name, table) in rows)
            {
                var filled = new string?[size];
                var rate = await TimedAsync(size, options.Concurrency, async i => filled[i] = await table.UpsertRow(Entry(grains[i], null)), ct);
                etags[name] = filled;
                Add(perRow[name], "upsert (new)", rate);
                Console.WriteLine(Invariant($"  {name,-26} {rate,8:F0} new rows/s"));
            }

            var random = new Random(size);
            for (var round = 1; round <= options.Rounds; round++)
            {
                Console.WriteLine(Invariant($"round {round}/{options.Rounds}"));
                for (var k = 0; k < rows.Length; k++)
                {
                    var (name, table) = rows[(round - 1 + k) % rows.Length];
                    var tags = etags[name];
                    var picks = Enumerable.Range(0, options.Operations).Select(_ => random.Next(size)).Distinct().ToArray();
                    var update = await TimedAsync(picks.Length, options.Concurrency, async j => tags[picks[j]] = await table.UpsertRow(Entry(grains[picks[j]], tags[picks[j]])), ct);
                    var rangeRows = 0L;
                    var rangeWatch = Stopwatch.StartNew();
                    for (var r = 0; r < options.RangeReads; r++)
                    {
                        var begin = (uint)random.NextInt64(0, 1L << 32);
                        var end = size <= RowsPerRange ? begin : unchecked(begin + (uint)((1L << 32) * RowsPerRange / size));
                        rangeRows += (await table.ReadRows(begin, end)).Reminders.Count;
                    }

                    var range = rangeRows / rangeWatch.Elapsed.TotalSeconds;

                    // Removes, then the same rows back (so every round sees the full table).
                    var removed = picks.Take(options.Operations / 2).ToArray();
                    var remove = await TimedAsync(removed.Length, options.Concurrency, async j =>
                    {
                        if (!await table.RemoveRow(grains[removed[j]], "tick", tags[removed[j]]!))
                        {
                            throw new InvalidOperationException($"{name}: a remove with the row's own ETag was refused");
                        }
                    }, ct);
                    await TimedAsync(removed.Length, options.Concurrency, async j => tags[removed[j]] = await table.UpsertRow(Entry(grains[removed[j]], null)), ct);
                    Add(perRow[name], "upsert (update)", update);
                    Add(perRow[name], "remove", remove);
                    Add(perRow[name], "range read rows", range);
                    Console.WriteLine(Invariant($"  {name,-26} update {update,7:F0}/s  remove {remove,7:F0}/s  range read {range,8:F0} rows/s"));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("medians (ops/s; range read in rows/s):");
        const string Header = "rows    | table                      | upsert (new) | upsert (update) |  remove | range read rows";
        Console.WriteLine(Header);
        Console.WriteLine(new string('-', Header.Length));
        foreach (var (size, perRow) in results)
        {
            foreach (var (name, m) in perRow)
            {
                Console.WriteLine(Invariant($"{size,7:N0} | {name,-26} | {Stats.Median(m["upsert (new)"]),12:F0} | {Stats.Median(m["upsert (update)"]),15:F0} | {Stats.Median(m["remove"]),7:F0} | {Stats.Median(m["range read rows"]),15:F0}"));
            }
        }

        var oursName = "ZooKeeper table (ours)";
        var rawName = "raw client, same znodes";
        var rangeRatio = Stats.Median(results[Large][oursName]["range read rows"]) / Stats.Median(results[Small][oursName]["range read rows"]);
        var ratios = new[] { "upsert (new)", "upsert (update)", "remove", "range read rows" }
            .Select(op => (op, Ratio: Stats.Median(results[Large][oursName][op]) / Stats.Median(results[Large][rawName][op])))
            .ToList();
        Console.WriteLine();
        Console.WriteLine("ours ÷ raw at 100k: " + string.Join(", ", ratios.Select(r => Invariant($"{r.op} {r.Ratio:F2}"))));
        Console.WriteLine(Invariant($"range read rows/s at 100k ÷ at 1k: {rangeRatio:F2}"));
        Console.WriteLine(Invariant($"provider/raw: {ratios.Min(r => r.Ratio):F2}"));
        return 0;
    }

    private static ReminderEntry Entry(GrainId grain, string? etag) => new()
    {
        GrainId = grain,
        ReminderName = "tick",
        StartAt = DateTime.UtcNow,
        Period = TimeSpan.FromMinutes(1),
        ETag = etag,
    };

    private static void Add(Dictionary<string, List<double>> into, string what, double value)
    {
        if (!into.TryGetValue(what, out var list))
        {
            into[what] = list = [];
        }

        list.Add(value);
    }

    /// <summary>Runs <paramref name="count"/> operations with <paramref name="concurrency"/> workers; operations per second.</summary>
    private static async Task<double> TimedAsync(int count, int concurrency, Func<int, Task> operation, CancellationToken ct)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && !ct.IsCancellationRequested)
            {
                await operation(i);
            }
        }, ct)));
        return count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<TableHost> OursAsync(ZooKeeperServer zk, string service, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (service, "bench"));
        services.UseZooKeeperReminderService(ob => ob.Configure(o => o.Url = $"zookeeper://{zk.ConnectString}/bench-reminders"));
        return await TableHost.StartAsync(services, ct);
    }

    private static async Task<TableHost> RedisAsync(Storage.LocalRedisServer redis, string service, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (service, "bench"));
        services.UseRedisReminderService(o => o.ConfigurationOptions = new ConfigurationOptions { EndPoints = { redis.EndPoint }, AbortOnConnectFail = false });
        return await TableHost.StartAsync(services, ct);
    }

    private sealed class TableHost(ServiceProvider services, IReminderTable table) : IAsyncDisposable
    {
        public IReminderTable Table => table;

        public static async Task<TableHost> StartAsync(ServiceCollection services, CancellationToken ct)
        {
            var provider = services.BuildServiceProvider();
            var table = provider.GetRequiredService<IReminderTable>();
            await table.StartAsync(ct);
            await table.TestOnlyClearTable();
            return new TableHost(provider, table);
        }

        public async ValueTask DisposeAsync()
        {
            await table.StopAsync();
            await services.DisposeAsync();
        }
    }
}
