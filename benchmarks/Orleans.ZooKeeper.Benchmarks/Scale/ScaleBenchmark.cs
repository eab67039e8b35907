using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Persistence.ZooKeeper;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Testing;

using static Orleans.ZooKeeper.Benchmarks.Stats;

namespace Orleans.ZooKeeper.Benchmarks.Scale;

/// <summary>Command-line options of the <c>scale</c> benchmark.</summary>
internal sealed record ScaleBenchmarkOptions
{
    /// <summary>The state counts, one fresh ensemble each.</summary>
    public IReadOnlyList<int> States { get; init; } = [1_000, 100_000];

    /// <summary>Timed seconds per phase (updates, reads) and round.</summary>
    public int Seconds { get; init; } = 5;

    /// <summary>Timed rounds per state count; the table reports medians.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Untimed rounds per state count before the timed ones (the fresh ensemble's JIT).</summary>
    public int WarmupRounds { get; init; } = 3;

    /// <summary>Storage calls in flight.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>The members' <c>snapCount</c>: ZooKeeper's own default (the test harness lowers it to 20,000 so tests see snapshots).</summary>
    public int SnapCount { get; init; } = 100_000;

    public static bool TryParse(ReadOnlySpan<string> args, out ScaleBenchmarkOptions options, out string? error)
    {
        options = new ScaleBenchmarkOptions();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                error = $"scale: {name} needs a value";
                return false;
            }

            var text = args[++i];
            switch (name)
            {
                case "--states":
                    var counts = new List<int>();
                    foreach (var part in text.Split(','))
                    {
                        if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1_000_000)
                        {
                            error = $"scale: --states '{text}': each count must be a whole number from 1 to 1000000";
                            return false;
                        }

                        counts.Add(n);
                    }

                    options = options with { States = counts };
                    break;
                case "--snap-count":
                    if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var snapCount) || snapCount < 1)
                    {
                        error = $"scale: --snap-count '{text}' must be a positive whole number";
                        return false;
                    }

                    options = options with { SnapCount = snapCount };
                    break;
                case "--seconds" or "--rounds" or "--concurrency" or "--warmup":
                    var least = name == "--warmup" ? 0 : 1;
                    if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < least || value > 1000)
                    {
                        error = $"scale: {name} '{text}' must be a whole number from {least} to 1000";
                        return false;
                    }

                    options = name switch
                    {
                        "--seconds" => options with { Seconds = value },
                        "--rounds" => options with { Rounds = value },
                        "--warmup" => options with { WarmupRounds = value },
                        _ => options with { Concurrency = value },
                    };
                    break;
                default:
                    error = $"scale: unknown option '{name}'";
                    return false;
            }
        }

        return true;
    }
}

/// <summary>One state of the benchmark: a counter and a payload that makes the stored JSON about 1 KB.</summary>
internal sealed class ScaleState
{
    public long Counter { get; set; }

    public string Payload { get; set; } = "";
}

/// <summary>
/// <c>scale</c>: N grain states of about 1 KB through our grain storage provider (its <c>IGrainStorage</c>, called
/// directly from an in-process silo) on a fresh 3-node loopback ensemble per N. For each N: the time to create the
/// N states; rounds of timed updates (read-modify-write of random states: ETag-checked writes) and timed reads of
/// random states; znodes and stored bytes per state (<c>mntr</c> before and after); server heap per state (each
/// node's live heap after a full GC, <c>jcmd GC.run</c> + <c>GC.heap_info</c>, averaged over the nodes); then a full
/// ensemble restart (every node stopped, then started) timed to the first successful read through the provider, and
/// the snapshot that restart leaves. Last line: <c>scale ratio: X</c> = the lower of (update rate, read rate) at the
/// largest N ÷ the same rate at the smallest N.
/// </summary>
internal static class ScaleBenchmark
{
    private const string Provider = "zookeeper";
    private const string StateName = "state";
    private const int PayloadChars = 1000;

    public static async Task<int> RunAsync(ScaleBenchmarkOptions options, CancellationToken ct)
    {
        var results = new List<ScaleResult>();
        foreach (var n in options.States)
        {
            Console.WriteLine(Invariant($"N = {n}: a fresh 3-node ensemble ..."));
            results.Add(await RunOneAsync(n, options, ct));
        }

        Report(options, results);
        var first = results[0];
        var last = results[^1];
        var ratio = Math.Min(last.UpdatesPerSecond / first.UpdatesPerSecond, last.ReadsPerSecond / first.ReadsPerSecond);
        Console.WriteLine(Invariant($"scale ratio: {ratio:F2}"));
        return 0;
    }

    private static async Task<ScaleResult> RunOneAsync(int n, ScaleBenchmarkOptions options, CancellationToken ct)
    {
        // With ZooKeeper's default snapCount a member snapshots its whole tree every 50,000-100,000 transactions, as a
        // production server would.
        var ensembleOptions = new ZooKeeperEnsembleOptions { ForceSync = false, FastStartupJvm = false, HeapMegabytes = 2048, ExtraConfig = [SnapCountLine(options)] };
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(ensembleOptions, ct);
        using var host = BuildSilo(ensemble.ConnectString);
        await host.StartAsync(ct);
        try
        {
            var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(Provider);
            var leader = ensemble.Nodes[await ensemble.GetLeaderIndexAsync(ct)];

            // The provider's own nodes (root, layout marker) come with the first state; count from a state of another type.
            await WriteAsync(storage, GrainId.Create("scale-warmup", "0"), new GrainState<ScaleState>(NewState(0)), ct);
            var before = await ServerFigures.TakeAsync(ensemble, leader, ct);

            var payload = new string('p', PayloadChars);
            var etags = new string?[n];
            var created = Stopwatch.StartNew();
            await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct }, async (i, token) =>
            {
                var state = new GrainState<ScaleState>(new ScaleState { Counter = 0, Payload = payload });
                await WriteAsync(storage, Id(i), state, token);
                etags[i] = state.ETag;
            });
            created.Stop();
            var after = await ServerFigures.TakeAsync(ensemble, leader, ct);
            Console.WriteLine(Invariant($"  created {n} states in {created.Elapsed.TotalSeconds:F1} s ({n / created.Elapsed.TotalSeconds:F0} /s)"));

            var updates = new List<double>();
            var reads = new List<double>();
            for (var round = 1 - options.WarmupRounds; round <= options.Rounds; round++)
            {
                // Each timed phase starts on a quiet host (a snapshot or collection from the phase before would land in it).
                await HostQuiet.WaitAsync(ct, TimeSpan.FromSeconds(10));
                var update = await TimedAsync(options, n, async (i, token) =>
                {
                    var state = new GrainState<ScaleState>();
                    await storage.ReadStateAsync(StateName, Id(i), state, token);
                    (state.State ??= NewState(0)).Counter++;
                    await storage.WriteStateAsync(StateName, Id(i), state, token);
                }, ct);
                await HostQuiet.WaitAsync(ct, TimeSpan.FromSeconds(10));
                var read = await TimedAsync(options, n, (i, token) => storage.ReadStateAsync(StateName, Id(i), new GrainState<ScaleState>(), token), ct);
                if (round >= 1)
                {
                    updates.Add(update);
                    reads.Add(read);
                }

                Console.WriteLine(Invariant($"  {(round >= 1 ? $"round {round}/{options.Rounds}" : "warm-up"),-11}: {update,7:F0} updates/s (read-modify-write), {read,7:F0} reads/s"));
            }

            var restart = await RestartAsync(ensemble, storage, n, ct);
            var snapshot = ServerFigures.LargestSnapshotBytes(ensemble);
            Console.WriteLine(Invariant($"  full ensemble restart to the first successful read: {restart.TotalSeconds:F1} s; snapshot {snapshot / 1024.0 / 1024.0:F1} MiB"));
            return new ScaleResult(n, n / created.Elapsed.TotalSeconds, Median(updates), updates.Min(), Median(reads), reads.Min(), before, after, restart, snapshot);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Runs <paramref name="operation"/> on random states for the configured seconds; returns operations per second.</summary>
    private static async Task<double> TimedAsync(ScaleBenchmarkOptions options, int n, Func<int, CancellationToken, Task> operation, CancellationToken ct)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long done = 0;
        var clock = Stopwatch.StartNew();
        window.CancelAfter(TimeSpan.FromSeconds(options.Seconds));
        var workers = Enumerable.Range(0, options.Concurrency).Select(w => Task.Run(async () =>
        {
            // Each worker owns the states i ≡ w (mod concurrency), so no two calls race for one ETag.
            var owned = (n - w + options.Concurrency - 1) / options.Concurrency;
            if (owned <= 0)
            {
                return;
            }

            var random = new Random(w);
            while (!window.IsCancellationRequested)
            {
                await operation(w + (random.Next(owned) * options.Concurrency), ct);
                Interlocked.Increment(ref done);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        return Interlocked.Read(ref done) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Stops every node, starts them all again and times from the start to the first read that succeeds.</summary>
    private static async Task<TimeSpan> RestartAsync(ZooKeeperEnsemble ensemble, IGrainStorage storage, int n, CancellationToken ct)
    {
        for (var i = 0; i < ensemble.Nodes.Count; i++)
        {
            await ensemble.StopNodeAsync(i, ct);
        }

        var clock = Stopwatch.StartNew();
        var start = ensemble.StartAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        while (true)
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                var state = new GrainState<ScaleState>();
                await storage.ReadStateAsync(StateName, Id(n - 1), state, attempt.Token);
                if (state.RecordExists)
                {
                    var elapsed = clock.Elapsed;
                    await start;
                    return elapsed;
                }
            }
            catch (Exception) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            }
        }
    }

    private static Task WriteAsync(IGrainStorage storage, GrainId id, GrainState<ScaleState> state, CancellationToken ct)
        => storage.WriteStateAsync(StateName, id, state, ct);

    private static string SnapCountLine(ScaleBenchmarkOptions options) => "snapCount=" + options.SnapCount.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static GrainId Id(int i) => GrainId.Create("scale", i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static ScaleState NewState(long counter) => new() { Counter = counter, Payload = new string('p', PayloadChars) };

    private static IHost BuildSilo(string connectString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort.Next(), gatewayPort: FreePort.Next(), serviceId: "scale-bench", clusterId: "scale-bench");
            silo.AddZooKeeperGrainStorage(Provider, o => o.Url = $"zookeeper://{connectString}/scale");
        });
        return builder.Build();
    }

    private static void Report(ScaleBenchmarkOptions options, IReadOnlyList<ScaleResult> results)
    {
        Console.WriteLine();
        Console.WriteLine(Invariant($"3-node loopback ensemble per N (forceSync=no, {SnapCountLine(options)}, -Xmx2g); our provider's IGrainStorage called directly, {options.Concurrency} calls in flight; state = Counter + {PayloadChars}-char payload"));
        Console.WriteLine(Invariant($"rates: medians of {options.Rounds} round(s) × {options.Seconds} s after {options.WarmupRounds} untimed (min in brackets); update = read + ETag-checked write of a random state"));
        Console.WriteLine("heap = live heap after a full GC (jcmd GC.run), average over the 3 nodes; overhead = heap − stored bytes (mntr zk_approximate_data_size: data + path)");
        Console.WriteLine("N       | create/s | updates/s        | reads/s          | znodes/state | stored B/state | heap B/state | overhead B/state | snapshot   | restart→read");
        Console.WriteLine("--------|----------|------------------|------------------|--------------|----------------|--------------|------------------|------------|-------------");
        foreach (var r in results)
        {
            Console.WriteLine(Invariant(
                $"{r.States,-7} | {r.CreatesPerSecond,8:F0} | {r.UpdatesPerSecond,7:F0} ({r.UpdatesMin,6:F0}) | {r.ReadsPerSecond,7:F0} ({r.ReadsMin,6:F0}) | {r.ZNodesPerState,12:F2} | {r.StoredBytesPerState,14:F0} | {r.HeapBytesPerState,12:F0} | {r.HeapBytesPerState - r.StoredBytesPerState,16:F0} | {r.SnapshotBytes / 1024.0 / 1024.0,6:F1} MiB | {r.Restart.TotalSeconds,8:F1} s"));
        }

        if (results.Count > 1)
        {
            var first = results[0];
            var last = results[^1];
            Console.WriteLine(Invariant($"update rate {last.States} ÷ {first.States}: {last.UpdatesPerSecond / first.UpdatesPerSecond:F2}; read rate: {last.ReadsPerSecond / first.ReadsPerSecond:F2}"));
        }
    }

    private sealed record ScaleResult(int States, double CreatesPerSecond, double UpdatesPerSecond, double UpdatesMin, double ReadsPerSecond, double ReadsMin, ServerFigures Before, ServerFigures After, TimeSpan Restart, long SnapshotBytes)
    {
        public double ZNodesPerState => (After.ZNodes - Before.ZNodes) / (double)States;

        public double StoredBytesPerState => (After.DataBytes - Before.DataBytes) / (double)States;

        public double HeapBytesPerState => (After.HeapBytes - Before.HeapBytes) / (double)States;
    }
}
