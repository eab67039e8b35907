using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using Orleans.ZooKeeper.Benchmarks.JavaClient;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>
/// `java-selftest [--tls]`: exercises the Java reference client (JavaClient/) alone against its own server; with
/// --tls over TLS 1.3 (Netty socket) to the server's secure port, with the harness's test certificates.
/// </summary>
internal static class JavaSelfTest
{
    public static async Task<int> RunAsync(bool tls, CancellationToken ct)
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
            var certs = tls ? TestCertificates.Shared : null;
            var serverOptions = new ZooKeeperServerOptions
            {
                FastStartupJvm = false,
                Tls = certs?.CreateServerTlsOptions(protocols: ZooKeeperTlsProtocols.Tls12And13),
            };
            await using var server = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
            Console.WriteLine($"ZooKeeper 3.8 standalone on {server.ConnectString}{(tls ? $", TLS on {server.SecureConnectString}" : "")} (pid {server.Pid}, zookeeper.forceSync=no)");

            var sw = Stopwatch.StartNew();
            var javaTls = certs is null ? null : new JavaClientTlsOptions(certs.Ca.CertificatePemPath) { Protocols = ZooKeeperTlsProtocols.Tls13 };
            await using var java = await JavaReferenceClient.StartAsync(tls ? server.SecureConnectString : server.ConnectString, 30_000, workDir, javaTls, ct);
            Console.WriteLine($"Java client pid {java.ProcessId}, session {java.SessionId}, started in {sw.ElapsedMilliseconds} ms");
            if (certs is not null)
            {
                // cons answers per port: the session must be listed on the TLS port and not on the plain one.
                var sessionId = unchecked((long)Convert.ToUInt64(java.SessionId, 16));
                var probe = new SslClientAuthenticationOptions
                {
                    TargetHost = "127.0.0.1",
                    EnabledSslProtocols = SslProtocols.Tls13,
                    CertificateChainPolicy = certs.CreateTrustPolicy(),
                };
                var onTls = (await server.GetConnectedSessionIdsAsync(probe, ct)).Contains(sessionId);
                var onPlain = (await server.GetConnectedSessionIdsAsync(ct)).Contains(sessionId);
                Console.WriteLine($"Java session on the TLS port: {onTls}, on the plain port: {onPlain} ({string.Join(' ', javaTls!.ToJvmArguments())})");
                if (!onTls || onPlain)
                {
                    Console.Error.WriteLine("the Java client is not connected over TLS");
                    return 1;
                }
            }

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
