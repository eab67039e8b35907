using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Orleans.ZooKeeper.Benchmarks.JavaClient;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

using static Orleans.ZooKeeper.Benchmarks.Stats;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>Command-line options of the <c>client</c> benchmark.</summary>
internal sealed record ClientBenchmarkOptions
{
    /// <summary>
    /// Timed rounds (each runs every row for both clients; who goes first alternates); the table reports the median.
    /// Even, so each client goes first equally often (going first after a round's cleanup costs the server's garbage collection).
    /// </summary>
    public int Rounds { get; init; } = 8;

    /// <summary>Runs our client with <see cref="ZooKeeperClientOptions.RunContinuationsAsynchronously"/> = true (the default is false).</summary>
    public bool AsyncContinuations { get; init; }

    public static bool TryParse(ReadOnlySpan<string> args, out ClientBenchmarkOptions options, out string error)
    {
        options = new ClientBenchmarkOptions();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds":
                    if (i + 1 >= args.Length
                        || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var rounds)
                        || rounds < 1 || rounds > 1000)
                    {
                        error = "--rounds needs a whole number from 1 to 1000";
                        return false;
                    }

                    options = options with { Rounds = rounds };
                    i++;
                    break;
                case "--async-continuations":
                    options = options with { AsyncContinuations = true };
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
/// `client`: our .NET client vs the official Java client (java/ZkJavaBench.java via <see cref="JavaReferenceClient"/>),
/// interleaved in one run against one local ZooKeeper server. Per round every row runs for both clients, one after
/// the other (who goes first alternates per round); the table shows the median over the rounds.
/// </summary>
internal static class ClientBenchmark
{
    internal const int PayloadBytes = 100;
    private const int WarmupPasses = 2;
    private const string OurRoot = "/bench-ours";
    private const string JavaRoot = "/bench-java";
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(30);

    private static readonly Row[] Rows =
    [
        new("pipelined create", "create", "pipelined", 20_000),
        new("pipelined setData", "setData", "pipelined", 20_000),
        new("pipelined getData", "getData", "pipelined", 20_000),
        new("sync setData", "setData", "sync", 6_000),
        new("sync getData", "getData", "sync", 6_000),
        new("TLS pipelined setData", "setData", "pipelined", 20_000, Tls: true),
    ];

    public static async Task<int> RunAsync(ClientBenchmarkOptions options, CancellationToken ct)
    {
        var payload = new byte[PayloadBytes];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26)); // as ZkJavaBench.java
        }

        var maxCount = Rows.Max(r => r.Count);
        var workDir = Directory.CreateTempSubdirectory("zk-clientbench-").FullName;
        try
        {
            // forceSync=no is the harness default (ZooKeeperServerOptions.ForceSync = false); full JIT on the server.
            // The TLS row uses the same server's secure port (Netty), TLS 1.3 for both clients, trusting the test CA.
            var certificates = TestCertificates.Shared;
            var serverOptions = ServerOptions();
            await using var server = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
            var serverVersion = await ServerVersionAsync(server, ct);

            await using var javaPlain = await JavaReferenceClient.StartAsync(server.ConnectString, (int)SessionTimeout.TotalMilliseconds, workDir, ct);
            var javaTls = new JavaClientTlsOptions(certificates.Ca.CertificatePemPath) { Protocols = ZooKeeperTlsProtocols.Tls13 };
            await using var javaSecure = await JavaReferenceClient.StartAsync(server.SecureConnectString, (int)SessionTimeout.TotalMilliseconds, Path.Combine(workDir, "tls"), javaTls, ct);
            var ourOptions = new ZooKeeperClientOptions
            {
                ConnectString = server.ConnectString,
                SessionTimeout = SessionTimeout,
                RunContinuationsAsynchronously = options.AsyncContinuations,
            };
            await using var oursPlain = await OurClientRunner.StartAsync(ourOptions, OurRoot + "/data", payload, maxCount, ct);
            var ourTlsOptions = new ZooKeeperClientOptions
            {
                ConnectString = server.SecureConnectString,
                SessionTimeout = SessionTimeout,
                RunContinuationsAsynchronously = options.AsyncContinuations,
            }.UseTls(t =>
            {
                t.CaCertificatesFile = certificates.Ca.CertificatePemPath;
                t.EnabledProtocols = System.Security.Authentication.SslProtocols.Tls13;
            });
            await using var oursSecure = await OurClientRunner.StartAsync(ourTlsOptions, OurRoot + "/tls-data", payload, maxCount, ct);
            var ours = oursPlain;
            var java = javaPlain;
            (OurClientRunner Ours, JavaReferenceClient Java, string JavaData) For(Row row)
                => row.Tls ? (oursSecure, javaSecure, JavaRoot + "/tls-data") : (oursPlain, javaPlain, JavaRoot + "/data");

            PrintNotes(options, server, serverOptions, serverVersion, java, ours, await JavaVersionAsync(ct));

            // ---- warm-up: both clients, every row at full size, untimed, so the server's JIT (and both clients') is
            // warm before the first timed round; otherwise the rounds speed up as they go and favour whoever goes later.
            Console.WriteLine($"warm-up ({WarmupPasses} untimed passes of every row at full size) ...");
            for (var pass = 0; pass < WarmupPasses; pass++)
            {
                foreach (var row in Rows)
                {
                    var (o, j, data) = For(row);
                    await o.RunAsync(row.Op, row.Mode, row.Count, OurRoot + "/warmup", ct);
                    await j.RunAsync(row.Op, row.Mode, row.Count, PayloadBytes, DataOrCreateBase(row, data, JavaRoot + "/warmup"), ct);
                }

                await ours.CleanupAsync(OurRoot + "/warmup", ct);
                await java.CleanupAsync(JavaRoot + "/warmup", ct);
            }

            // ---- timed rounds
            int[] benchmarkPids = [Environment.ProcessId, server.Pid, javaPlain.ProcessId, javaSecure.ProcessId];
            var load0 = HostLoad.Sample(benchmarkPids);
            var ourSamples = Rows.Select(_ => new List<RunSample>()).ToArray();
            var javaSamples = Rows.Select(_ => new List<RunSample>()).ToArray();
            for (var round = 1; round <= options.Rounds; round++)
            {
                var oursFirst = round % 2 == 1;
                Console.WriteLine($"round {round}/{options.Rounds} ({(oursFirst ? "ours" : "Java")} first)");
                var ourCreateBase = OurRoot + "/r" + round.ToString(CultureInfo.InvariantCulture);
                var javaCreateBase = JavaRoot + "/r" + round.ToString(CultureInfo.InvariantCulture);
                for (var r = 0; r < Rows.Length; r++)
                {
                    var row = Rows[r];
                    var (ourRunner, javaRunner, javaData) = For(row);
                    RunSample o, j;
                    double oServer, jServer;
                    // Each timed run starts on a quiet machine: the previous run's after-work (the server's and the
                    // other client's garbage collection and JIT) would otherwise land in it.
                    if (oursFirst)
                    {
                        await HostQuiet.WaitAsync(ct);
                        var s0 = ProcessCpu.Of(server.Pid);
                        o = await ourRunner.RunAsync(row.Op, row.Mode, row.Count, ourCreateBase, ct);
                        var s1 = ProcessCpu.Of(server.Pid);
                        await HostQuiet.WaitAsync(ct);
                        var s2 = ProcessCpu.Of(server.Pid);
                        j = ToSample(await javaRunner.RunAsync(row.Op, row.Mode, row.Count, PayloadBytes, DataOrCreateBase(row, javaData, javaCreateBase), ct));
                        var s3 = ProcessCpu.Of(server.Pid);
                        (oServer, jServer) = ((s1 - s0).TotalMicroseconds / row.Count, (s3 - s2).TotalMicroseconds / row.Count);
                    }
                    else
                    {
                        await HostQuiet.WaitAsync(ct);
                        var s0 = ProcessCpu.Of(server.Pid);
                        j = ToSample(await javaRunner.RunAsync(row.Op, row.Mode, row.Count, PayloadBytes, DataOrCreateBase(row, javaData, javaCreateBase), ct));
                        var s1 = ProcessCpu.Of(server.Pid);
                        await HostQuiet.WaitAsync(ct);
                        var s2 = ProcessCpu.Of(server.Pid);
                        o = await ourRunner.RunAsync(row.Op, row.Mode, row.Count, ourCreateBase, ct);
                        var s3 = ProcessCpu.Of(server.Pid);
                        (oServer, jServer) = ((s3 - s2).TotalMicroseconds / row.Count, (s1 - s0).TotalMicroseconds / row.Count);
                    }

                    ourSamples[r].Add(o);
                    javaSamples[r].Add(j);
                    Console.WriteLine(Invariant(
                        $"  {row.Name,-22} ours {o.OpsPerSecond,8:F0} ops/s {o.CpuMicrosPerOp,6:F1} µs/op (server {oServer,5:F1}) | Java {j.OpsPerSecond,8:F0} ops/s {j.CpuMicrosPerOp,6:F1} µs/op (server {jServer,5:F1}){ErrorNote(o, j)}"));
                }

                // Keep the server's tree small: the create parents of this round go now.
                await ours.CleanupAsync(ourCreateBase, ct);
                await java.CleanupAsync(javaCreateBase, ct);
            }

            var load1 = HostLoad.Sample(benchmarkPids);
            var load = load0.TotalTicks > 0 && load1.TotalTicks > 0 ? load1 - load0 : default;

            // ---- our allocations per pipelined op (separate runs, not part of the table's timings)
            var allocations = new List<(string Op, double BytesPerOp, int Errors)>();
            foreach (var op in new[] { "setData", "getData", "create" })
            {
                var (bytes, errors) = await ours.MeasurePipelinedAllocationAsync(op, maxCount, OurRoot + "/alloc", ct);
                allocations.Add((op, bytes, errors));
            }

            // ---- the cost of the client's telemetry with listeners attached (a MeterListener taking every measurement
            // and an ActivityListener recording every span), against the same runs without: separate, untimed by the table.
            var quietRun = await ours.RunAsync("setData", "pipelined", maxCount, OurRoot + "/alloc", ct);
            (double BytesPerOp, RunSample Run) listened;
            using (TelemetryListeners.Attach())
            {
                var (bytes, errors) = await ours.MeasurePipelinedAllocationAsync("setData", maxCount, OurRoot + "/alloc", ct);
                listened = (bytes, await ours.RunAsync("setData", "pipelined", maxCount, OurRoot + "/alloc", ct));
                allocations.Add(("setData+listeners", bytes, errors));
            }

            await ours.CleanupAsync(OurRoot + "/alloc", ct);
            await oursPlain.CleanupDataAsync(ct);
            await oursSecure.CleanupDataAsync(ct);
            await javaPlain.CleanupAsync(JavaRoot + "/data", ct);
            await javaSecure.CleanupAsync(JavaRoot + "/tls-data", ct);

            // ---- report
            var totalErrors = ourSamples.Concat(javaSamples).SelectMany(s => s).Sum(s => s.Errors) + allocations.Sum(a => a.Errors);
            Console.WriteLine();
            Console.WriteLine($"median of {options.Rounds} round(s); ops/s = count ÷ wall time of the timed section; CPU µs/op = client process CPU (all threads) ÷ count");
            if (load.TotalTicks > 0)
            {
                Console.WriteLine(Invariant(
                    $"host load over the timed rounds (/proc/stat): CPUs {load.BusyPercent:F0}% busy = this benchmark (server + both clients) {load.BenchmarkPercent:F0}% + other processes {load.OtherPercent:F0}% (the latter makes the numbers noisier)"));
            }

            Console.WriteLine();
            const string Header = "row                            | ours ops/s | Java ops/s | ours ÷ Java | ours CPU µs/op | Java CPU µs/op";
            Console.WriteLine(Header);
            Console.WriteLine(new string('-', Header.Length));
            var minRatio = double.PositiveInfinity;
            var maxCpuRatio = 0.0;
            for (var r = 0; r < Rows.Length; r++)
            {
                var ourOps = Median(ourSamples[r].Select(s => s.OpsPerSecond));
                var javaOps = Median(javaSamples[r].Select(s => s.OpsPerSecond));
                var ratio = ourOps / javaOps;
                minRatio = Math.Min(minRatio, ratio);
                var ourCpu = Median(ourSamples[r].Select(s => s.CpuMicrosPerOp));
                var javaCpu = Median(javaSamples[r].Select(s => s.CpuMicrosPerOp));
                maxCpuRatio = Math.Max(maxCpuRatio, ourCpu / javaCpu);
                Console.WriteLine(Invariant(
                    $"{Rows[r].Name + " (" + Rows[r].Count.ToString("N0", CultureInfo.InvariantCulture) + ")",-30} | {ourOps,10:F0} | {javaOps,10:F0} | {ratio,11:F2} | {ourCpu,14:F1} | {javaCpu,14:F1}"));
            }

            Console.WriteLine();
            var setData = allocations[0];
            Console.WriteLine(Invariant(
                $"ours, bytes allocated per pipelined setData: {setData.BytesPerOp:F1} B/op (GC.GetTotalAllocatedBytes(precise) delta over a separate pipelined run of {maxCount:N0} setData, ÷ {maxCount:N0}; whole process, all threads; the ValueTask<Stat>[] and the path array are allocated before the measured region, so they are not included)"));
            Console.WriteLine(Invariant(
                $"ours, same measurement for pipelined getData: {allocations[1].BytesPerOp:F1} B/op (includes the returned byte[] data), create: {allocations[2].BytesPerOp:F1} B/op (includes the returned path string)"));
            Console.WriteLine(Invariant(
                $"ours, with a MeterListener and an ActivityListener recording everything: {listened.BytesPerOp:F1} B/op per pipelined setData (a span each), {listened.Run.OpsPerSecond:F0} ops/s and {listened.Run.CpuMicrosPerOp:F1} CPU µs/op vs {quietRun.OpsPerSecond:F0} ops/s and {quietRun.CpuMicrosPerOp:F1} µs/op without (one run each)"));
            if (totalErrors > 0)
            {
                Console.WriteLine($"WARNING: {totalErrors} operation(s) failed with a ZooKeeper error; their rows are not comparable.");
            }

            Console.WriteLine(Invariant($"max cpu ratio: {maxCpuRatio:F2}"));
            Console.WriteLine(Invariant($"min ratio: {minRatio:F2}"));
            return totalErrors > 0 ? 1 : 0;
        }
        finally
        {
            JavaSelfTest.TryDeleteDirectory(workDir);
        }
    }

    /// <summary>
    /// The benchmark server (also used by <c>floor</c>): full JIT, forceSync=no (the harness default). A 1 GB heap keeps
    /// the server's garbage collections (a 20,000-node create round makes a lot of garbage) from landing in the middle
    /// of the next timed run. A round writes ~170,000 transactions: at the harness's snapCount (20,000) the server would
    /// take about ten snapshots per round, each a burst of server CPU landing on whichever client's run happens to be
    /// timed then; no snapshot is taken during the benchmark, so neither client pays for one at random. The secure
    /// port (TLS 1.3, the test CA) makes the server use Netty for its plain port too.
    /// </summary>
    internal static ZooKeeperServerOptions ServerOptions() => new()
    {
        FastStartupJvm = false,
        ForceSync = false,
        HeapMegabytes = 1024,
        ExtraConfig = ["snapCount=100000000"],
        Tls = TestCertificates.Shared.CreateServerTlsOptions(ZooKeeperTlsClientAuth.None, ZooKeeperTlsProtocols.Tls13),
    };

    /// <summary>setData/getData rows of the Java driver rotate over {dataBase}/n0..n999 (one node set per Java client); creates go under <paramref name="createBase"/>.</summary>
    private static string DataOrCreateBase(Row row, string dataBase, string createBase) => row.Op == "create" ? createBase : dataBase;

    private static RunSample ToSample(JavaRunResult r) => new(r.Count, r.Elapsed, r.Cpu, r.Errors);

    private static string ErrorNote(RunSample o, RunSample j)
        => o.Errors + j.Errors == 0 ? "" : Invariant($"  ERRORS ours {o.Errors}, Java {j.Errors}");

    private static void PrintNotes(
        ClientBenchmarkOptions options,
        ZooKeeperServer server,
        ZooKeeperServerOptions serverOptions,
        string serverVersion,
        JavaReferenceClient java,
        OurClientRunner ours,
        string javaVersion)
    {
        Console.WriteLine("ZooKeeper client benchmark: ours (Orleans.ZooKeeper.Client, .NET) vs the official Java client, interleaved, same server");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores ({CpuModel()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}");
        Console.WriteLine(Invariant(
            $"server:  ZooKeeper {serverVersion} (Debian zookeeper 3.8.0 package), standalone on {server.ConnectString} (loopback), pid {server.Pid}, forceSync={(serverOptions.ForceSync ? "yes" : "no")} (transaction log not fsynced), tickTime {serverOptions.TickTime} ms, -Xmx{serverOptions.HeapMegabytes}m, full JIT, extra zoo.cfg [{string.Join(", ", serverOptions.ExtraConfig)}] (no snapshots while timing); it shares the {Environment.ProcessorCount} cores with both clients; its CPU is in neither client's column"));
        Console.WriteLine(Invariant(
            $"ours:    {RuntimeInformation.FrameworkDescription}, GC {(GCSettings.IsServerGC ? "server" : "workstation")}{(GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : " concurrent")}, RunContinuationsAsynchronously={options.AsyncContinuations}, session 0x{ours.Client.SessionId:x}, pid {Environment.ProcessId}"));
        Console.WriteLine($"Java:    official client {JavaReferenceClient.ZooKeeperJar} (3.8.0) on {javaVersion}, -Xmx512m, session {java.SessionId}, pid {java.ProcessId}; the TLS row: a second Java client with ClientCnxnSocketNetty (zookeeper.client.secure=true), TLS 1.3");
        Console.WriteLine(Invariant(
            $"load:    payload {PayloadBytes} B, one session per client, setData/getData rotate over {OurClientRunner.NodeSet} nodes, each create round under a fresh parent (deleted after the round); {options.Rounds} timed round(s) after {WarmupPasses} full-size warm-up passes"));
        Console.WriteLine("CPU:     ours = this process's Process.TotalProcessorTime delta (refreshed); Java = its process CPU (OperatingSystemMXBean.getProcessCpuTime);");
        Console.WriteLine("         both cover all threads incl. GC/JIT; Java's counter ticks in 10 ms, i.e. 5 µs/op steps on the 2,000-op sync rows");
        Console.WriteLine();
    }

    private static async Task<string> ServerVersionAsync(ZooKeeperServer server, CancellationToken ct)
    {
        try
        {
            var srvr = await server.FourLetterWordAsync("srvr", ct);
            foreach (var line in srvr.Split('\n'))
            {
                const string Prefix = "Zookeeper version:";
                if (line.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    return line[Prefix.Length..].Trim();
                }
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return "unknown (srvr failed: " + e.Message + ")";
        }

        return "unknown";
    }

    private static async Task<string> JavaVersionAsync(CancellationToken ct)
    {
        try
        {
            var psi = new ProcessStartInfo("java") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
            if (!string.IsNullOrEmpty(javaHome) && File.Exists(Path.Combine(javaHome, "bin", "java")))
            {
                psi.FileName = Path.Combine(javaHome, "bin", "java");
            }

            psi.ArgumentList.Add("-version");
            using var p = Process.Start(psi);
            if (p is null)
            {
                return "java (version unknown)";
            }

            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = await p.StandardError.ReadToEndAsync(ct);
            await stdout;
            await p.WaitForExitAsync(ct);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length >= 3 ? lines[2] : lines.FirstOrDefault() ?? "java (version unknown)";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "java (version unknown)";
        }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return "cpu model unknown";
    }

    /// <summary>Listeners that take every measurement of the client's meter and record every span of its activity source.</summary>
    private static class TelemetryListeners
    {
        public static IDisposable Attach()
        {
            var meters = new System.Diagnostics.Metrics.MeterListener();
            long sink = 0;
            meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ZooKeeperClientDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            meters.SetMeasurementEventCallback<double>((_, value, _, _) => Interlocked.Add(ref sink, (long)value));
            meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref sink, value));
            meters.Start();
            var spans = new System.Diagnostics.ActivityListener
            {
                ShouldListenTo = source => source.Name == ZooKeeperClientDiagnostics.ActivitySourceName,
                Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            };
            System.Diagnostics.ActivitySource.AddActivityListener(spans);
            return new Both(meters, spans);
        }

        private sealed class Both(IDisposable a, IDisposable b) : IDisposable
        {
            public void Dispose()
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    /// <summary>A process's CPU time (user + system) from /proc/PID/stat, in clock ticks of 10 ms (zero where unreadable).</summary>
    private static class ProcessCpu
    {
        public static TimeSpan Of(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
                return TimeSpan.FromMilliseconds(ticks * 10);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    private sealed record Row(string Name, string Op, string Mode, int Count, bool Tls = false);

    /// <summary>Whole-host CPU (all CPUs, /proc/stat) and the CPU of given processes (/proc/PID/stat), in clock ticks.</summary>
    private readonly record struct HostLoad(long TotalTicks, long BusyTicks, long BenchmarkTicks)
    {
        public double BusyPercent => 100.0 * BusyTicks / TotalTicks;

        public double BenchmarkPercent => 100.0 * BenchmarkTicks / TotalTicks;

        public double OtherPercent => Math.Max(0, BusyPercent - BenchmarkPercent);

        public static HostLoad operator -(HostLoad a, HostLoad b) => new(a.TotalTicks - b.TotalTicks, a.BusyTicks - b.BusyTicks, a.BenchmarkTicks - b.BenchmarkTicks);

        public static HostLoad Sample(IEnumerable<int> pids)
        {
            try
            {
                // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
                var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var v = cpu.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                var total = v.Sum();
                var idle = v[3] + v[4];
                long benchmark = 0;
                foreach (var pid in pids)
                {
                    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
                    var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
                    var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    benchmark += long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
                }

                return new HostLoad(total, total - idle, benchmark);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
            {
                return default;
            }
        }
    }
}
