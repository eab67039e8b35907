using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.GrainDirectory.Redis;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;
using StackExchange.Redis;
using static System.FormattableString;

namespace Orleans.ZooKeeper.Benchmarks.GrainDirectories;

/// <summary>
/// `directory [--rounds N]`: Orleans' grain directory on ZooKeeper (ours) vs Orleans' Redis grain directory vs our raw
/// client doing the same znode work, with 100,000 grains (10,000 of them on one silo): register, lookup and unregister
/// rates and latencies (p50/p99), and the time UnregisterSilos takes for the silo holding 10,000 entries. Rounds
/// interleave the rows (ours and raw swap places every round, each round with fresh grains, the rest removed
/// untimed after it); tables show medians; the ratios are medians of each round's ours ÷ raw. Last line
/// `provider/raw: X` (the lowest of the three operations' median ratios).
/// </summary>
internal static class DirectoryBenchmark
{
    private const int Grains = 100_000;
    private const int OnDeadSilo = 10_000;
    private const int Lookups = 20_000;
    private const int Unregisters = 10_000;
    private const int Concurrency = 64;
    private static readonly string[] Operations = ["register", "lookup", "unregister"];

    /// <summary>Parses <c>[--rounds N]</c>; null (with the reason) when the arguments are bad.</summary>
    public static int? ParseRounds(ReadOnlySpan<string> args, out string? error)
    {
        error = null;
        if (args.Length == 0)
        {
            return 3;
        }

        if (args.Length == 2 && args[0] == "--rounds" && int.TryParse(args[1], CultureInfo.InvariantCulture, out var rounds) && rounds >= 1)
        {
            return rounds;
        }

        error = "directory takes only --rounds N (N >= 1)";
        return null;
    }

    public static async Task<int> RunAsync(int rounds, CancellationToken ct)
    {
        var serverOptions = new ZooKeeperServerOptions { FastStartupJvm = false, ForceSync = false, HeapMegabytes = 1024 };
        await using var zk = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
        await using var redis = await Storage.LocalRedisServer.StartAsync(ct);
        await using var raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString }, logger: null, ct);
        Console.WriteLine("Grain directory benchmark: ours (ZooKeeper) vs Orleans' Redis grain directory vs our raw client doing the same znode work");
        Console.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores; ZooKeeper standalone {zk.ConnectString} (forceSync=no), Redis {redis.EndPoint}; {Grains:N0} grains ({OnDeadSilo:N0} on one silo), {Concurrency} concurrent callers; {rounds} interleaved rounds"));

        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = ("bench", "bench-cluster"));
        services.AddZooKeeperGrainDirectory("bench", ob => ob.Configure(o => o.Url = $"zookeeper://{zk.ConnectString}/bench-directory"));
        await using var provider = services.BuildServiceProvider();
        var ours = provider.GetRequiredKeyedService<IGrainDirectory>("bench");
        await ((Orleans.GrainDirectory.ZooKeeper.ZooKeeperGrainDirectory)ours).InitializeAsync(ct);

        var redisDirectory = new RedisGrainDirectory(
            new RedisGrainDirectoryOptions { ConfigurationOptions = new ConfigurationOptions { EndPoints = { redis.EndPoint }, AbortOnConnectFail = false } },
            Options.Create(new ClusterOptions { ServiceId = "bench", ClusterId = "bench-cluster" }),
            NullLogger<RedisGrainDirectory>.Instance);
        await redisDirectory.Initialize(ct);

        var rawDirectory = new RawDirectory(raw, "/bench-raw-directory");
        await rawDirectory.StartAsync();

        const string OursName = "ZooKeeper directory (ours)";
        const string RawName = "raw client, same znodes";
        var rows = new (string Name, IGrainDirectory Directory)[] { (OursName, ours), (RawName, rawDirectory), ("Redis directory (Orleans)", redisDirectory) };
        var dead = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000), 1);
        var live = Enumerable.Range(1, 9).Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000 + i), 1)).ToArray();
        var results = rows.ToDictionary(r => r.Name, _ => new List<Result>());
        for (var round = 1; round <= rounds; round++)
        {
            Console.WriteLine(Invariant($"round {round}/{rounds}"));
            var order = round % 2 == 1 ? rows : [rows[1], rows[0], rows[2]];
            foreach (var (name, directory) in order)
            {
                var result = await RunRowAsync(directory, round, dead, live, ct);
                results[name].Add(result);
                Console.WriteLine(Invariant($"  {name,-28} register {result.Register}  lookup {result.Lookup}  unregister {result.Unregister}  UnregisterSilos({OnDeadSilo:N0} of {Grains:N0}) {(result.UnregisterSilo is { } t ? $"{t.TotalMilliseconds:F0} ms" : "no-op (Redis does not implement it)")}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"medians of {rounds} rounds:"));
        const string Header = "directory                    | register/s (p50/p99 ms) | lookup/s (p50/p99 ms)   | unregister/s (p50/p99 ms) | UnregisterSilos 10k of 100k";
        Console.WriteLine(Header);
        Console.WriteLine(new string('-', Header.Length));
        foreach (var (name, _) in rows)
        {
            var r = results[name];
            var silo = r[0].UnregisterSilo is null ? "no-op" : Invariant($"{Stats.Median(r.Select(x => x.UnregisterSilo!.Value.TotalMilliseconds)):F0} ms");
            Console.WriteLine(Invariant($"{name,-28} | {Phase.Median(r.Select(x => x.Register)),-23} | {Phase.Median(r.Select(x => x.Lookup)),-23} | {Phase.Median(r.Select(x => x.Unregister)),-25} | {silo}"));
        }

        // Each round's ours ÷ raw, then the median over the rounds (drift between rounds cancels).
        var (o, w) = (results[OursName], results[RawName]);
        var ratios = Operations.Select((op, k) => (op, Ratio: Stats.Median(o.Zip(w, (a, b) => a.Phase(k).Rate / b.Phase(k).Rate)))).ToArray();
        var siloRatio = Stats.Median(o.Zip(w, (a, b) => a.UnregisterSilo!.Value.TotalMilliseconds / b.UnregisterSilo!.Value.TotalMilliseconds));
        Console.WriteLine();
        Console.WriteLine("ours ÷ raw (median of the rounds' ratios): " + string.Join(", ", ratios.Select(r => Invariant($"{r.op} {r.Ratio:F2}"))) + Invariant($", UnregisterSilos time {siloRatio:F2}× the raw row's"));
        Console.WriteLine(Invariant($"provider/raw: {ratios.Min(r => r.Ratio):F2}"));
        return 0;
    }

    /// <summary>One row of one round: register, lookup, unregister, UnregisterSilos; then the rest removed (untimed).</summary>
    private static async Task<Result> RunRowAsync(IGrainDirectory directory, int round, SiloAddress dead, SiloAddress[] live, CancellationToken ct)
    {
        if (directory is RawDirectory raw)
        {
            // UnregisterSilos removed the index nodes; ours makes them again on demand, the raw row beforehand (untimed).
            await raw.PrepareSilosAsync([dead, .. live]);
        }

        var addresses = Enumerable.Range(0, Grains).Select(i => new GrainAddress
        {
            GrainId = GrainId.Create("bench", Invariant($"r{round}-{i}")),
            ActivationId = ActivationId.NewId(),
            SiloAddress = i < OnDeadSilo ? dead : live[i % live.Length],
            MembershipVersion = new MembershipVersion(51),
        }).ToArray();
        var register = await TimedAsync(Grains, i => directory.Register(addresses[i], null), ct);
        var random = new Random(round);
        var looked = Enumerable.Range(0, Lookups).Select(_ => addresses[random.Next(Grains)]).ToArray();
        var lookup = await TimedAsync(Lookups, i => directory.Lookup(looked[i].GrainId), ct);
        var unregister = await TimedAsync(Unregisters, i => directory.Unregister(addresses[Grains - 1 - i]), ct);
        TimeSpan? unregisterSilo = null;
        if (directory is not RedisGrainDirectory)
        {
            var watch = Stopwatch.StartNew();
            await directory.UnregisterSilos([dead]);
            unregisterSilo = watch.Elapsed;
            if (await directory.Lookup(addresses[0].GrainId) is not null)
            {
                throw new InvalidOperationException("an entry of the dead silo is still there after UnregisterSilos");
            }

            // The next round starts from an empty directory, as the first did.
            await directory.UnregisterSilos([.. live]);
        }
        else
        {
            await TimedAsync(OnDeadSilo, i => directory.Unregister(addresses[i]), ct);
            await TimedAsync(Grains - OnDeadSilo - Unregisters, i => directory.Unregister(addresses[OnDeadSilo + i]), ct);
        }

        return new Result(register, lookup, unregister, unregisterSilo);
    }

    private static async Task<Phase> TimedAsync(int count, Func<int, Task> operation, CancellationToken ct)
    {
        var latencies = new double[count];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && !ct.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(i);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }, ct)));
        var rate = count / watch.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new Phase(rate, latencies[count / 2], latencies[(int)(count * 0.99)]);
    }

    private readonly record struct Phase(double Rate, double P50, double P99)
    {
        /// <summary>The median of each figure over the rounds.</summary>
        public static Phase Median(IEnumerable<Phase> phases)
        {
            var all = phases.ToArray();
            return new Phase(Stats.Median(all.Select(p => p.Rate)), Stats.Median(all.Select(p => p.P50)), Stats.Median(all.Select(p => p.P99)));
        }

        public override string ToString() => Invariant($"{Rate,7:F0} ({P50:F1}/{P99:F1})");
    }

    private readonly record struct Result(Phase Register, Phase Lookup, Phase Unregister, TimeSpan? UnregisterSilo)
    {
        public Phase Phase(int operation) => operation switch
        {
            0 => Register,
            1 => Lookup,
            _ => Unregister,
        };
    }
}
