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
/// `directory`: Orleans' grain directory on ZooKeeper (ours) vs Orleans' Redis grain directory vs our raw client doing
/// the same znode work, with 100,000 grains (10,000 of them on one silo): register, lookup and unregister rates and
/// latencies (p50/p99), and the time UnregisterSilos takes for the silo holding 10,000 entries. Last line
/// `provider/raw: X` (ours ÷ raw, the lowest of the three operations' rates).
/// </summary>
internal static class DirectoryBenchmark
{
    private const int Grains = 100_000;
    private const int OnDeadSilo = 10_000;
    private const int Lookups = 20_000;
    private const int Unregisters = 10_000;
    private const int Concurrency = 64;

    public static async Task<int> RunAsync(CancellationToken ct)
    {
        var serverOptions = new ZooKeeperServerOptions { FastStartupJvm = false, ForceSync = false };
        await using var zk = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
        await using var redis = await Storage.LocalRedisServer.StartAsync(ct);
        await using var raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString }, logger: null, ct);
        Console.WriteLine("Grain directory benchmark: ours (ZooKeeper) vs Orleans' Redis grain directory vs our raw client doing the same znode work");
        Console.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores; ZooKeeper standalone {zk.ConnectString} (forceSync=no), Redis {redis.EndPoint}; {Grains:N0} grains ({OnDeadSilo:N0} on one silo), {Concurrency} concurrent callers"));

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

        await rawDirectory.PrepareSilosAsync(Enumerable.Range(0, 10).Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000 + i), 1)));
        var rows = new (string Name, IGrainDirectory Directory)[] { ("ZooKeeper directory (ours)", ours), ("raw client, same znodes", rawDirectory), ("Redis directory (Orleans)", redisDirectory) };
        var dead = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000), 1);
        var live = Enumerable.Range(1, 9).Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000 + i), 1)).ToArray();
        var results = new List<(string Name, Phase Register, Phase Lookup, Phase Unregister, TimeSpan? UnregisterSilo)>();
        foreach (var (name, directory) in rows)
        {
            var addresses = Enumerable.Range(0, Grains).Select(i => new GrainAddress
            {
                GrainId = GrainId.Create("bench", i.ToString(CultureInfo.InvariantCulture)),
                ActivationId = ActivationId.NewId(),
                SiloAddress = i < OnDeadSilo ? dead : live[i % live.Length],
                MembershipVersion = new MembershipVersion(51),
            }).ToArray();
            var register = await TimedAsync(Grains, i => directory.Register(addresses[i], null), ct);
            var random = new Random(1);
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
                    throw new InvalidOperationException($"{name}: an entry of the dead silo is still there");
                }
            }

            results.Add((name, register, lookup, unregister, unregisterSilo));
            Console.WriteLine(Invariant($"  {name,-28} register {register}  lookup {lookup}  unregister {unregister}  UnregisterSilos({OnDeadSilo:N0} of {Grains:N0}) {(unregisterSilo is { } t ? $"{t.TotalMilliseconds:F0} ms" : "no-op (Redis does not implement it)")}"));
        }

        Console.WriteLine();
        const string Header = "directory                    | register/s (p50/p99 ms) | lookup/s (p50/p99 ms)   | unregister/s (p50/p99 ms) | UnregisterSilos 10k of 100k";
        Console.WriteLine(Header);
        Console.WriteLine(new string('-', Header.Length));
        foreach (var r in results)
        {
            Console.WriteLine(Invariant($"{r.Name,-28} | {r.Register,-23} | {r.Lookup,-23} | {r.Unregister,-25} | {(r.UnregisterSilo is { } t ? $"{t.TotalMilliseconds:F0} ms" : "no-op")}"));
        }

        var (o, w) = (results[0], results[1]);
        var ratios = new[] { ("register", o.Register.Rate / w.Register.Rate), ("lookup", o.Lookup.Rate / w.Lookup.Rate), ("unregister", o.Unregister.Rate / w.Unregister.Rate) };
        Console.WriteLine();
        Console.WriteLine("ours ÷ raw: " + string.Join(", ", ratios.Select(r => Invariant($"{r.Item1} {r.Item2:F2}"))) + (o.UnregisterSilo is { } ot && w.UnregisterSilo is { } wt ? Invariant($", UnregisterSilos time {ot.TotalMilliseconds / wt.TotalMilliseconds:F2}× the raw row's") : ""));
        Console.WriteLine(Invariant($"provider/raw: {ratios.Min(r => r.Item2):F2}"));
        return 0;
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
        public override string ToString() => Invariant($"{Rate,7:F0} ({P50:F1}/{P99:F1})");
    }
}
