using System.Diagnostics;
using System.Globalization;
using Orleans.ZooKeeper.Benchmarks.JavaClient;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>`java-selftest`: exercises the Java reference client (JavaClient/) alone against its own server.</summary>
internal static class JavaSelfTest
{
    public static async Task<int> RunAsync(CancellationToken ct)
    {
        const int PayloadBytes = 100;
        const string BasePath = "/bench-java";
        (string Op, string Mode, int Count)[] rows =
        [
            ("create", "pipelined", 20_000),
            ("setData", "pipelined", 20_000),
            ("getData", "pipelined", 20_000),
            ("create", "sync", 2_000),
            ("setData", "sync", 2_000),
            ("getData", "sync", 2_000),
        ];

        var workDir = Directory.CreateTempSubdirectory("zk-javabench-").FullName;
        try
        {
            // forceSync=no (the harness default); full JIT on the server since we measure throughput.
            await using var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { FastStartupJvm = false }, ct);
            Console.WriteLine($"ZooKeeper 3.8 standalone on {server.ConnectString} (pid {server.Pid}, zookeeper.forceSync=no)");

            var sw = Stopwatch.StartNew();
            await using var java = await JavaReferenceClient.StartAsync(server.ConnectString, 30_000, workDir, ct);
            Console.WriteLine($"Java client pid {java.ProcessId}, session {java.SessionId}, started in {sw.ElapsedMilliseconds} ms");

            // Warm-up (JIT, connection): every row at a tenth of its size, not reported.
            foreach (var (op, mode, count) in rows)
            {
                await java.RunAsync(op, mode, Math.Max(1, count / 10), PayloadBytes, BasePath + "-warmup", ct);
            }

            await java.CleanupAsync(BasePath + "-warmup", ct);

            Console.WriteLine();
            Console.WriteLine($"{"op",-8} {"mode",-9} {"count",7} {"elapsed ms",11} {"ops/s",9} {"CPU µs/op",10} {"errors",6}");
            foreach (var (op, mode, count) in rows)
            {
                var r = await java.RunAsync(op, mode, count, PayloadBytes, BasePath, ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Op,-8} {r.Mode,-9} {r.Count,7} {r.Elapsed.TotalMilliseconds,11:F1} {r.OpsPerSecond,9:F0} {r.CpuMicrosPerOp,10:F1} {r.Errors,6}"));
            }

            await java.CleanupAsync(BasePath, ct);
            Console.WriteLine();
            Console.WriteLine($"payload {PayloadBytes} B; CPU = whole Java client process (all threads) over the timed section.");
            return 0;
        }
        finally
        {
            TryDeleteDirectory(workDir);
        }
    }

    internal static void TryDeleteDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"could not delete {dir}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"could not delete {dir}: {e.Message}");
        }
    }
}
