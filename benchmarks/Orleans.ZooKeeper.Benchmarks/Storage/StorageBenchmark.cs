using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Persistence.ZooKeeper;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;
using StackExchange.Redis;

using static Orleans.ZooKeeper.Benchmarks.Stats;

namespace Orleans.ZooKeeper.Benchmarks.Storage;

/// <summary>Command-line options of the <c>storage</c> benchmark.</summary>
internal sealed record StorageBenchmarkOptions
{
    /// <summary>Timed seconds per row and round.</summary>
    public int Seconds { get; init; } = 10;

    /// <summary>Timed rounds (each runs every row once, in a rotated order); the table reports the median.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Untimed seconds per row before the first round (activations, nodes, JIT, connections).</summary>
    public int WarmupSeconds { get; init; } = 5;

    /// <summary>Concurrent grains (provider rows) / concurrent loops on their own node (raw rows).</summary>
    public int Concurrency { get; init; } = 100;

    /// <summary>Accepted for older command lines: the rows that split the provider's cost always run now.</summary>
    public bool Diagnose { get; init; }

    public static bool TryParse(ReadOnlySpan<string> args, out StorageBenchmarkOptions options, out string error)
    {
        options = new StorageBenchmarkOptions();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds" or "--rounds" or "--warmup" or "--concurrency":
                    var (min, max) = args[i] switch
                    {
                        "--seconds" => (1, 3600),
                        "--rounds" => (1, 100),
                        "--warmup" => (0, 600),
                        _ => (1, 10_000),
                    };
                    if (i + 1 >= args.Length
                        || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                        || value < min || value > max)
                    {
                        error = $"{args[i]} needs a whole number from {min} to {max}";
                        return false;
                    }

                    options = args[i] switch
                    {
                        "--seconds" => options with { Seconds = value },
                        "--rounds" => options with { Rounds = value },
                        "--warmup" => options with { WarmupSeconds = value },
                        _ => options with { Concurrency = value },
                    };
                    i++;
                    break;
                case "--diagnose":
                    options = options with { Diagnose = true };
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return false;
            }
        }

        return true;
    }
}

/// <summary>
/// `storage`: a read-modify-write loop of N concurrent grains (default 100) with a 1 KB state, for a fixed time per
/// row, on (1) our ZooKeeper grain storage provider, (2) our raw client doing the same getData + setData on its own
/// node per loop, (3) Orleans' Redis provider and (4) Orleans' memory storage. Everything runs in this process
/// against local servers it starts (ZooKeeper through the test harness, redis-server on loopback); the provider rows
/// go through one in-process silo (Host + UseOrleans + UseLocalhostClustering) and its co-hosted client. Rows are
/// interleaved: every round runs each row once, the order rotating per round; the table shows the medians.
/// <para>
/// <c>--diagnose</c> adds rows that split the provider's cost: (5) our raw client doing exactly the provider's
/// ZooKeeper traffic (getData, then multi [check guard, setData with version]); (6) the provider's IGrainStorage
/// called directly (Read/WriteStateAsync, no grain call); (7) a grain that does the raw getData + setData itself
/// (grain-call overhead without a storage provider).
/// </para>
/// </summary>
internal static class StorageBenchmark
{
    public const string ZooKeeperProvider = "zookeeper";
    public const string RedisProvider = "redis";
    public const string MemoryProvider = "memory";
    public const string StateName = "state";
    public const int PayloadBytes = 1024;
    private const string ServiceId = "storage-bench";
    private const string RawRoot = "/bench-raw";
    private const string RawMultiRoot = "/bench-raw-multi";

    public static async Task<int> RunAsync(StorageBenchmarkOptions options, CancellationToken ct)
    {
        // The silo, both clients and both servers are stopped before the last line goes out.
        var (exit, ratios) = await RunCoreAsync(options, ct);
        Console.WriteLine(Invariant($"provider/grain-raw: {ratios.ProviderOverGrainRaw:F2}"));
        Console.WriteLine(Invariant($"provider cpu ÷ raw cpu: {ratios.ProviderCpuOverRawCpu:F2}"));
        Console.WriteLine(Invariant($"provider/raw: {ratios.ProviderOverRaw:F2}"));
        return exit;
    }

    private static async Task<(int ExitCode, Ratios Ratios)> RunCoreAsync(StorageBenchmarkOptions options, CancellationToken ct)
    {
        var serverOptions = new ZooKeeperServerOptions { FastStartupJvm = false, ForceSync = false };
        await using var zk = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
        await using var redis = await LocalRedisServer.StartAsync(ct);

        using var host = BuildSilo(zk, redis);
        await host.StartAsync(ct);
        try
        {
            // Same session timeout as the provider's container (its default), so both sessions face the same read timeout.
            var providerClient = ProviderContainer(host.Services).Client;
            await using var raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString, SessionTimeout = providerClient.Options.SessionTimeout }, logger: null, ct);
            // The floor of row 6: the raw client doing row 5's calls with continuations off its reader thread, as every
            // container's client must (callers never run on the reader), so each reply costs a thread-pool hop.
            await using var offReader = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = zk.ConnectString, SessionTimeout = providerClient.Options.SessionTimeout, RunContinuationsAsynchronously = true }, logger: null, ct);
            using var watch = new ConnectionWatch(providerClient, raw);
            using var probe = new PoolLagProbe();
            var rows = await CreateRowsAsync(options, host.Services, raw, offReader, zk, redis, ct);
            PrintNotes(options, zk, serverOptions, redis, raw, providerClient);
            var context = new RunContext(options.Concurrency, probe, watch, providerClient, raw, [zk.Pid, redis.Pid]);

            if (options.WarmupSeconds > 0)
            {
                Console.WriteLine($"warm-up: every row for {options.WarmupSeconds} s, not reported ...");
                foreach (var row in rows)
                {
                    var w = await RunRowAsync(row, context, TimeSpan.FromSeconds(options.WarmupSeconds), ct);
                    Console.WriteLine(Invariant($"  {row.Name,-44} {w.OpsPerSecond,8:F0} ops/s{(w.Errors > 0 ? $"  ERRORS {w.Errors}: {w.FirstError}" : "")}"));
                }
            }

            var samples = rows.Select(_ => new List<RowSample>()).ToArray();
            for (var round = 1; round <= options.Rounds; round++)
            {
                var first = (round - 1) % rows.Length;
                Console.WriteLine($"round {round}/{options.Rounds} ({options.Seconds} s per row, starting with '{rows[first].Name}')");
                for (var k = 0; k < rows.Length; k++)
                {
                    var r = (first + k) % rows.Length;
                    var s = await RunRowAsync(rows[r], context, TimeSpan.FromSeconds(options.Seconds), ct);
                    samples[r].Add(s);
                    Console.WriteLine(Invariant(
                        $"  {rows[r].Name,-44} {s.OpsPerSecond,8:F0} ops/s  CPU µs/op: process {s.ProcessCpuMicrosPerOp,4:F0} server {FormatCpu(s.ServerCpuMicrosPerOp),4}  {s.AllocatedBytesPerOp,6:F0} B/op  host busy {s.HostBusyPercent,3:F0}% (others {s.OtherPercent,2:F0}%)  pool lag max {s.PoolLagMax.TotalMilliseconds,5:F0} ms{Settled(s)}{Disconnects(s)}{(s.Errors > 0 ? $"  ERRORS {s.Errors}: {s.FirstError}" : "")}"));
                }
            }

            var stored = await StoredSizesAsync(host.Services, raw, redis);
            return Report(options, rows, samples, stored);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static IHost BuildSilo(ZooKeeperServer zk, LocalRedisServer redis)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Log lines go to stderr: stdout carries the report, whose last line is the contract.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort.Next(), gatewayPort: FreePort.Next(), serviceId: ServiceId, clusterId: "storage-bench");
            silo.AddZooKeeperGrainStorage(ZooKeeperProvider, o => o.Url = $"zookeeper://{zk.ConnectString}/bench");
            silo.AddRedisGrainStorage(RedisProvider, o => o.ConfigurationOptions = new ConfigurationOptions
            {
                EndPoints = { redis.EndPoint },
                AbortOnConnectFail = false,
            });
            silo.AddMemoryGrainStorage(MemoryProvider);
            silo.Services.AddSingleton(new RawClientHolder());
        });
        return builder.Build();
    }

    private static async Task<Row[]> CreateRowsAsync(StorageBenchmarkOptions options, IServiceProvider services, ZooKeeperClient raw, ZooKeeperClient offReader, ZooKeeperServer zk, LocalRedisServer redis, CancellationToken ct)
    {
        var n = options.Concurrency;
        var grains = services.GetRequiredService<IGrainFactory>();
        var payload = new byte[PayloadBytes];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        // Raw nodes: {root}/n{i} with the payload (and, for the multi row, a guard child as the provider keeps).
        var rawPaths = await CreateNodesAsync(raw, RawRoot, n, payload, guard: false, ct);
        var multiPaths = await CreateNodesAsync(raw, RawMultiRoot, n, payload, guard: true, ct);
        services.GetRequiredService<RawClientHolder>().Set(raw, rawPaths, payload);

        var rows = new List<Row>
        {
            new("(1) ZooKeeper provider (grain RMW)", RowKind.Provider, zk.Pid, i => GrainWorker(grains.GetGrain<IZooKeeperBenchGrain>(i))),
            new("(2) raw client getData+setData", RowKind.Raw, zk.Pid, i => RawWorker(raw, rawPaths[i], payload)),
            new("(3) Redis provider (grain RMW)", RowKind.Redis, redis.Pid, i => GrainWorker(grains.GetGrain<IRedisBenchGrain>(i))),
            new("(4) memory storage (grain RMW)", RowKind.Memory, 0, i => GrainWorker(grains.GetGrain<IMemoryBenchGrain>(i))),
        };
        // The rows that split the provider's cost (always run: the last lines' ratios need them).
        var storage = services.GetRequiredKeyedService<IGrainStorage>(ZooKeeperProvider);
        rows.Add(new("(5) raw getData+multi[check,setData]", RowKind.RawMulti, zk.Pid, i => RawMultiWorker(raw, multiPaths[i], payload)));
        rows.Add(new("(6) provider IGrainStorage direct (no grain)", RowKind.Direct, zk.Pid, i => DirectStorageWorker(storage, GrainId.Create("bench-direct", i.ToString(CultureInfo.InvariantCulture)))));
        rows.Add(new("(7) grain doing raw getData+setData", RowKind.GrainRaw, zk.Pid, i => GrainWorker(grains.GetGrain<IRawClientBenchGrain>(i))));
        rows.Add(new("(8) raw as (5), continuations off reader", RowKind.RawMultiOffReader, zk.Pid, i => RawMultiWorker(offReader, multiPaths[i], payload)));

        return [.. rows];
    }

    private static async Task<string[]> CreateNodesAsync(ZooKeeperClient client, string root, int n, byte[] payload, bool guard, CancellationToken ct)
    {
        await client.EnsurePathAsync(root, cancellationToken: ct);
        var paths = new string[n];
        for (var i = 0; i < n; i++)
        {
            paths[i] = root + "/n" + i.ToString(CultureInfo.InvariantCulture);
            try
            {
                await client.CreateAsync(paths[i], payload, cancellationToken: ct);
            }
            catch (NodeExistsException)
            {
            }

            if (guard)
            {
                try
                {
                    await client.CreateAsync(paths[i] + "/g", default, cancellationToken: ct);
                }
                catch (NodeExistsException)
                {
                }
            }
        }

        return paths;
    }

    /// <summary>
    /// Runs one row: first waits (untimed) until both ZooKeeper sessions are CONNECTED (a row that saturates the
    /// process can starve their I/O and drop them, see the report), then N workers until the deadline;
    /// ops = completed read-modify-write iterations.
    /// </summary>
    private static async Task<RowSample> RunRowAsync(Row row, RunContext context, TimeSpan duration, CancellationToken ct)
    {
        var concurrency = context.Concurrency;
        var settled = await SettleAsync(context, ct);
        var disconnects0 = context.Watch.Snapshot();
        context.Probe.Reset();
        using var self = Process.GetCurrentProcess();
        var workers = new Task<WorkerResult>[concurrency];
        var host0 = ProcCpu.Host();
        var server0 = ProcCpu.Of(row.ServerPid);
        var servers0 = ProcCpu.Of(context.ServerPids);
        var alloc0 = GC.GetTotalAllocatedBytes(precise: false);
        self.Refresh();
        var cpu0 = self.TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        var deadline = t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < concurrency; i++)
        {
            var worker = row.CreateWorker(i);
            workers[i] = Task.Run(() => worker(deadline));
        }

        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(t0);
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpu0;
        var server = row.ServerPid > 0 ? ProcCpu.Of(row.ServerPid) - server0 : TimeSpan.Zero;
        var servers = ProcCpu.Of(context.ServerPids) - servers0;
        var host = ProcCpu.Host() - host0;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - alloc0;

        // Share of all cores used by processes other than this one and the servers it started (other builds/tests on the box).
        var ours = (cpu + servers).TotalSeconds / (elapsed.TotalSeconds * Environment.ProcessorCount) * 100;
        return new RowSample(
            results.Sum(r => r.Ops),
            elapsed,
            cpu,
            row.ServerPid > 0 ? server : null,
            host.BusyPercent,
            Math.Max(0, host.BusyPercent - ours),
            allocated,
            context.Probe.Max,
            settled,
            context.Watch.Snapshot() - disconnects0,
            results.Sum(r => r.Errors),
            results.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
    }

    /// <summary>Waits until both sessions are CONNECTED (and the thread pool answers within 100 ms); returns the wait.</summary>
    private static async Task<TimeSpan> SettleAsync(RunContext context, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        while (context.ProviderClient.State != ConnectionState.Connected || context.Raw.State != ConnectionState.Connected || context.Probe.Max > TimeSpan.FromMilliseconds(100))
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"the ZooKeeper sessions did not reconnect within 120 s (provider {context.ProviderClient.State}, raw {context.Raw.State})");
            }

            context.Probe.Reset();
            await Task.Delay(100, ct);
        }

        return sw.Elapsed;
    }

    /// <summary>The provider's own container, found through the provider host (as health checks find it).</summary>
    private static ZooKeeperContainer ProviderContainer(IServiceProvider services)
        => services.GetRequiredService<ZooKeeperProviderHost>().Find("storage:" + ZooKeeperProvider)
            ?? throw new InvalidOperationException($"grain storage '{ZooKeeperProvider}' has no ZooKeeper container of its own");

    /// <summary>The first node holding data below the provider's container path (the benchmark's grains all store alike).</summary>
    private static async Task<string?> FirstStateNodeAsync(ZooKeeperClient raw, string path)
    {
        var stat = await raw.ExistsAsync(path);
        if (stat is { DataLength: > 0 })
        {
            return path;
        }

        foreach (var child in (await raw.GetChildrenAsync(path)).Order(StringComparer.Ordinal))
        {
            if (child == "layout.v2") // the provider's layout marker, not a state
            {
                continue;
            }

            if (await FirstStateNodeAsync(raw, ZooKeeperPath.Combine(path, child)) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Settled(RowSample s) => s.Settled > TimeSpan.FromSeconds(0.5)
        ? Invariant($"  (waited {s.Settled.TotalSeconds:F1} s for the sessions first)")
        : "";

    private static string Disconnects(RowSample s) => s.Disconnects.Total > 0
        ? Invariant($"  SESSION DROPS during the row: provider {s.Disconnects.Provider}, raw {s.Disconnects.Raw}")
        : "";

    private static Func<long, Task<WorkerResult>> GrainWorker(IStorageBenchGrain grain) => async deadline =>
    {
        long ops = 0, errors = 0, last = -1;
        string? firstError = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                var counter = await grain.ReadModifyWriteAsync();
                if (last >= 0 && counter != last + 1)
                {
                    errors++;
                    firstError ??= $"counter went from {last} to {counter}";
                }

                last = counter;
                ops++;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errors++;
                firstError ??= e.GetType().Name + ": " + e.Message;
                last = -1;
            }
        }

        return new WorkerResult(ops, errors, firstError);
    };

    private static Func<long, Task<WorkerResult>> RawWorker(ZooKeeperClient client, string path, byte[] payload) => async deadline =>
    {
        long ops = 0, errors = 0;
        string? firstError = null;
        var buffer = (byte[])payload.Clone();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                var read = await client.GetDataAsync(path);
                Modify(read.Data, buffer);
                await client.SetDataAsync(path, buffer, read.Stat.Version);
                ops++;
            }
            catch (ZooKeeperException e)
            {
                errors++;
                firstError ??= e.GetType().Name + ": " + e.Message;
            }
        }

        return new WorkerResult(ops, errors, firstError);
    };

    private static Func<long, Task<WorkerResult>> RawMultiWorker(ZooKeeperClient client, string path, byte[] payload) => async deadline =>
    {
        long ops = 0, errors = 0;
        string? firstError = null;
        var buffer = (byte[])payload.Clone();
        var guard = path + "/g";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                var read = await client.GetDataAsync(path);
                Modify(read.Data, buffer);
                await client.MultiAsync([Op.Check(guard, -1), Op.SetData(path, buffer, read.Stat.Version)]);
                ops++;
            }
            catch (ZooKeeperException e)
            {
                errors++;
                firstError ??= e.GetType().Name + ": " + e.Message;
            }
        }

        return new WorkerResult(ops, errors, firstError);
    };

    private static Func<long, Task<WorkerResult>> DirectStorageWorker(IGrainStorage storage, GrainId grainId) => async deadline =>
    {
        long ops = 0, errors = 0;
        string? firstError = null;
        var state = new GrainState<BenchState>(new BenchState());
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                await storage.ReadStateAsync(StateName, grainId, state);
                var value = state.State ??= new BenchState();
                value.Counter++;
                value.Payload = StorageBenchGrainBase.Payload;
                await storage.WriteStateAsync(StateName, grainId, state);
                ops++;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errors++;
                firstError ??= e.GetType().Name + ": " + e.Message;
            }
        }

        return new WorkerResult(ops, errors, firstError);
    };

    /// <summary>The "modify" of the raw rows: copy what was read and bump a counter in its first 8 bytes.</summary>
    internal static void Modify(byte[] read, byte[] buffer)
    {
        read.AsSpan(0, Math.Min(read.Length, buffer.Length)).CopyTo(buffer);
        var counter = BitConverter.ToInt64(buffer, 0) + 1;
        BitConverter.TryWriteBytes(buffer, counter);
    }

    private static async Task<(int? ZooKeeper, int ZooKeeperChildren, string? Redis)> StoredSizesAsync(IServiceProvider services, ZooKeeperClient raw, LocalRedisServer redis)
    {
        int? zkBytes = null;
        var children = -1;
        try
        {
            if (await FirstStateNodeAsync(raw, ProviderContainer(services).BasePath) is { } path)
            {
                zkBytes = (await raw.GetDataAsync(path)).Data.Length;
                children = (await raw.GetChildrenAsync(path)).Count;
            }
        }
        catch (ZooKeeperException)
        {
        }

        string? redisSize = null;
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
            var db = mux.GetDatabase();
            var redisGrain = services.GetRequiredService<IGrainFactory>().GetGrain<IRedisBenchGrain>(0).GetGrainId();
            var key = RedisKey(redisGrain);
            var type = await db.KeyTypeAsync(key);
            if (type == RedisType.Hash)
            {
                var fields = await db.HashGetAllAsync(key);
                redisSize = string.Join(", ", fields.Select(f => $"{f.Name}={((byte[]?)f.Value)?.Length ?? 0} B"));
            }
            else if (type == RedisType.String)
            {
                redisSize = (await db.StringLengthAsync(key)).ToString(CultureInfo.InvariantCulture) + " B";
            }
            else
            {
                redisSize = $"key '{key}' is {type}";
            }
        }
        catch (Exception e) when (e is RedisException or InvalidOperationException)
        {
            redisSize = "(could not read: " + e.Message + ")";
        }

        return (zkBytes, children, redisSize);
    }

    /// <summary>The Redis provider's default key (RedisGrainStorage.DefaultGetStorageKey, "{ServiceId}/state/{grainId}/{stateName}").</summary>
    private static RedisKey RedisKey(GrainId grainId) => $"{ServiceId}/state/{grainId}/{StateName}";

    private static (int ExitCode, Ratios Ratios) Report(StorageBenchmarkOptions options, Row[] rows, List<RowSample>[] samples, (int? ZooKeeper, int ZooKeeperChildren, string? Redis) stored)
    {
        var medians = samples.Select(s => Median(s.Select(x => x.OpsPerSecond))).ToArray();
        var totalErrors = samples.SelectMany(s => s).Sum(s => s.Errors);

        Console.WriteLine();
        Console.WriteLine($"median of {options.Rounds} round(s) × {options.Seconds} s per row; ops = completed read-modify-write iterations (1 storage read + 1 storage write each), {options.Concurrency} concurrent grains / loops");
        Console.WriteLine("CPU µs/op: this process (silo + grains + clients, all threads) and the server it talks to (ZooKeeper JVM or redis-server), each ÷ ops;");
        Console.WriteLine("alloc = bytes allocated in this process ÷ ops; others = share of all cores used by other processes on the host (noise); medians, except");
        Console.WriteLine("pool lag max = the longest wait of a work item in the thread pool's global queue (where timers and socket completions go) over all rounds");
        const string Header = "row                                          |    ops/s | min..max ops/s  | process µs/op | server µs/op | alloc B/op | others | pool lag max";
        Console.WriteLine(Header);
        Console.WriteLine(new string('-', Header.Length));
        for (var r = 0; r < rows.Length; r++)
        {
            var s = samples[r];
            Console.WriteLine(Invariant(
                $"{rows[r].Name,-44} | {medians[r],8:F0} | {s.Min(x => x.OpsPerSecond),6:F0}..{s.Max(x => x.OpsPerSecond),-6:F0}  | {Median(s.Select(x => x.ProcessCpuMicrosPerOp)),13:F0} | {FormatCpu(MedianOrNull(s.Select(x => x.ServerCpuMicrosPerOp))),12} | {Median(s.Select(x => x.AllocatedBytesPerOp)),10:F0} | {Median(s.Select(x => x.OtherPercent)),5:F0}% | {s.Max(x => x.PoolLagMax.TotalMilliseconds),9:F0} ms"));
        }

        var providerRow = Array.FindIndex(rows, r => r.Kind == RowKind.Provider);
        var rawRow = Array.FindIndex(rows, r => r.Kind == RowKind.Raw);
        var provider = medians[providerRow];
        var raw = medians[rawRow];
        var redis = medians[Array.FindIndex(rows, r => r.Kind == RowKind.Redis)];
        var memory = medians[Array.FindIndex(rows, r => r.Kind == RowKind.Memory)];
        Console.WriteLine();
        Console.WriteLine(Invariant($"provider ÷ raw client:     {provider / raw:F2}"));
        Console.WriteLine(Invariant($"provider ÷ Redis provider: {provider / redis:F2}"));
        Console.WriteLine(Invariant($"provider ÷ memory storage: {provider / memory:F2}"));
        Console.WriteLine(Invariant($"per-round provider ÷ raw:  {string.Join(", ", samples[providerRow].Zip(samples[rawRow], (p, q) => (p.OpsPerSecond / q.OpsPerSecond).ToString("F2", CultureInfo.InvariantCulture)))}"));
        Console.WriteLine();
        Console.WriteLine("notes:");
        Console.WriteLine($"  machine: {Environment.ProcessorCount} cores; ZooKeeper, redis-server, the silo and all clients share them (server CPU is not in 'this process')");
        Console.WriteLine("  ZooKeeper: standalone, loopback, zookeeper.forceSync=no (transaction log not fsynced); Redis: loopback, persistence off (--save '' --appendonly no)");
        Console.WriteLine(Invariant(
            $"  state: Counter (long) + Payload (1,024-char ASCII string); stored as: ZooKeeper provider {(stored.ZooKeeper is { } b ? b.ToString(CultureInfo.InvariantCulture) + " B" : "?")} (System.Text.Json, {stored.ZooKeeperChildren} guard child), Redis provider {stored.Redis ?? "?"} (Orleans' default grain storage serializer), raw rows {PayloadBytes} B"));
        Console.WriteLine(Invariant(
            $"  concurrency: {options.Concurrency} grains (provider rows) / {options.Concurrency} loops each on its own node (raw rows), one in-process silo + its co-hosted client; raw rows use a separate session of our client"));
        Console.WriteLine("  provider write = multi [check incarnation guard, setData with version]; provider read = getData; raw row = getData + setData with the read version");
        Console.WriteLine("  noise is ±30-50% on this kind of box: compare ratios within one run; process µs/op includes the thread pool's spin-waiting, so on a saturated host it overstates useful work");
        var drops = samples.SelectMany(x => x).Aggregate(default(Disconnects), (a, x) => new Disconnects(a.Provider + x.Disconnects.Provider, a.Raw + x.Disconnects.Raw));
        var waited = samples.SelectMany(x => x).Sum(x => x.Settled.TotalSeconds);
        Console.WriteLine(Invariant(
            $"  ZooKeeper session drops during timed rows: provider {drops.Provider}, raw {drops.Raw}; waited {waited:F1} s in total (untimed) for sessions to reconnect before rows"));
        if (drops.Total > 0)
        {
            Console.WriteLine("  (drops come with a large pool lag: a row that keeps the thread pool busy with local work items starves its global queue, where our client's");
            Console.WriteLine("   socket completions and write-loop wake-ups wait; the ping is not sent, the read timeout (2/3 of the session timeout) fires, the session may expire)");
        }
        if (totalErrors > 0)
        {
            Console.WriteLine($"WARNING: {totalErrors} failed operation(s) (or counter mismatches); see the per-round lines.");
        }

        // The provider against the same work without it: a grain making the raw calls itself (row 7, per round, median),
        // and its own CPU against the raw client's for the same ZooKeeper traffic (row 6 ÷ row 5, medians).
        var grainRawRow = Array.FindIndex(rows, r => r.Kind == RowKind.GrainRaw);
        var directRow = Array.FindIndex(rows, r => r.Kind == RowKind.Direct);
        var rawMultiRow = Array.FindIndex(rows, r => r.Kind == RowKind.RawMulti);
        var overGrainRaw = Median(samples[providerRow].Zip(samples[grainRawRow], (p, q) => p.OpsPerSecond / q.OpsPerSecond));
        var cpuRatio = Median(samples[directRow].Select(x => x.ProcessCpuMicrosPerOp)) / Median(samples[rawMultiRow].Select(x => x.ProcessCpuMicrosPerOp));
        var offReaderRow = Array.FindIndex(rows, r => r.Kind == RowKind.RawMultiOffReader);
        var offReaderCpu = Median(samples[offReaderRow].Select(x => x.ProcessCpuMicrosPerOp));
        Console.WriteLine(Invariant(
            $"-- floor: the raw client's own CPU for row 5's calls with continuations off its reader (row 8 ÷ row 5): {offReaderCpu / Median(samples[rawMultiRow].Select(x => x.ProcessCpuMicrosPerOp)):F2}; the provider against that floor (row 6 ÷ row 8): {Median(samples[directRow].Select(x => x.ProcessCpuMicrosPerOp)) / offReaderCpu:F2}"));
        Console.WriteLine(Invariant($"per-round provider ÷ grain doing raw calls (row 1 ÷ row 7): {string.Join(", ", samples[providerRow].Zip(samples[grainRawRow], (p, q) => (p.OpsPerSecond / q.OpsPerSecond).ToString("F2", CultureInfo.InvariantCulture)))}"));
        return (totalErrors > 0 ? 1 : 0, new Ratios(provider / raw, overGrainRaw, cpuRatio));
    }

    private static void PrintNotes(StorageBenchmarkOptions options, ZooKeeperServer zk, ZooKeeperServerOptions serverOptions, LocalRedisServer redis, ZooKeeperClient raw, ZooKeeperClient provider)
    {
        Console.WriteLine("Grain storage benchmark: read-modify-write of a 1 KB state, our ZooKeeper provider vs our raw client vs Orleans' Redis provider vs memory storage");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, GC {(GCSettings.IsServerGC ? "server" : "workstation")}, pid {Environment.ProcessId}");
        Console.WriteLine(Invariant(
            $"ZooKeeper: standalone on {zk.ConnectString} (loopback), pid {zk.Pid}, forceSync={(serverOptions.ForceSync ? "yes" : "no")}, tickTime {serverOptions.TickTime} ms, -Xmx{serverOptions.HeapMegabytes}m, full JIT"));
        Console.WriteLine($"Redis:     {redis.Version} on {redis.EndPoint} (loopback), pid {redis.Pid}, --save '' --appendonly no (no persistence)");
        Console.WriteLine(Invariant(
            $"load:      {options.Concurrency} concurrent grains/loops, {options.Seconds} s per row, {options.Rounds} round(s) (order rotates), {options.WarmupSeconds} s warm-up per row"));
        Console.WriteLine(Invariant(
            $"sessions:  provider's container 0x{provider.SessionId:x}, raw client 0x{raw.SessionId:x}, both {provider.Options.SessionTimeout.TotalSeconds:F0} s session timeout (the container's default); before each row the benchmark waits until both are CONNECTED"));
        Console.WriteLine();
    }

    private static string FormatCpu(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "-";

    private static double? MedianOrNull(IEnumerable<double?> values)
    {
        var list = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return list.Count == 0 ? null : Median(list);
    }

    private enum RowKind
    {
        Provider,
        Raw,
        Redis,
        Memory,
        RawMulti,
        Direct,
        GrainRaw,
        RawMultiOffReader,
    }

    private sealed record Ratios(double ProviderOverRaw, double ProviderOverGrainRaw, double ProviderCpuOverRawCpu);

    private sealed record Row(string Name, RowKind Kind, int ServerPid, Func<int, Func<long, Task<WorkerResult>>> CreateWorker);

    private sealed record RunContext(int Concurrency, PoolLagProbe Probe, ConnectionWatch Watch, ZooKeeperClient ProviderClient, ZooKeeperClient Raw, int[] ServerPids);

    private sealed record WorkerResult(long Ops, long Errors, string? FirstError);

    private sealed record RowSample(
        long Ops, TimeSpan Elapsed, TimeSpan ProcessCpu, TimeSpan? ServerCpu, double HostBusyPercent, double OtherPercent, long AllocatedBytes,
        TimeSpan PoolLagMax, TimeSpan Settled, Disconnects Disconnects, long Errors, string? FirstError)
    {
        public double AllocatedBytesPerOp => Ops > 0 ? (double)AllocatedBytes / Ops : double.NaN;

        public double TotalCpuMicrosPerOp => ProcessCpuMicrosPerOp + (ServerCpuMicrosPerOp ?? 0);

        public double OpsPerSecond => Ops / Elapsed.TotalSeconds;

        public double ProcessCpuMicrosPerOp => Ops > 0 ? ProcessCpu.TotalMicroseconds / Ops : double.NaN;

        public double? ServerCpuMicrosPerOp => ServerCpu is { } s && Ops > 0 ? s.TotalMicroseconds / Ops : null;
    }
}

/// <summary>Gives the diagnostic grain (<see cref="RawClientBenchGrain"/>) the benchmark's raw client and nodes.</summary>
internal sealed class RawClientHolder
{
    private ZooKeeperClient? _client;
    private string[] _paths = [];
    private byte[] _payload = [];

    public void Set(ZooKeeperClient client, string[] paths, byte[] payload) => (_client, _paths, _payload) = (client, paths, payload);

    public (ZooKeeperClient Client, string Path, byte[] Payload) For(long key)
        => (_client ?? throw new InvalidOperationException("raw client not set"), _paths[key % _paths.Length], _payload);
}

/// <summary>Diagnostic: a grain that does the raw getData + setData itself (no storage provider, no serializer).</summary>
public interface IRawClientBenchGrain : IStorageBenchGrain;

internal sealed class RawClientBenchGrain(RawClientHolder holder) : Grain, IRawClientBenchGrain
{
    private byte[]? _buffer;

    public async Task<long> ReadModifyWriteAsync()
    {
        var (client, path, payload) = holder.For(this.GetPrimaryKeyLong());
        _buffer ??= (byte[])payload.Clone();
        var read = await client.GetDataAsync(path);
        StorageBenchmark.Modify(read.Data, _buffer);
        await client.SetDataAsync(path, _buffer, read.Stat.Version);
        return BitConverter.ToInt64(_buffer, 0);
    }
}
