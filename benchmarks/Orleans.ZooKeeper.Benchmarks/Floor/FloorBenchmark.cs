using System.Diagnostics;
using System.Globalization;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

using static Orleans.ZooKeeper.Benchmarks.Stats;

namespace Orleans.ZooKeeper.Benchmarks.Floor;

/// <summary>
/// <c>floor</c>: our client against <see cref="BareSocketClient"/> — a blocking socket sending prebuilt frames and
/// only counting replies — on the rows where <c>client</c>'s ours ÷ Java is lowest, on the same server settings
/// (<see cref="ClientBenchmark.ServerOptions"/>: Netty, plain port).
/// The bare socket's rate is what the server and the kernel allow any client on this machine; ours ÷ bare near 1
/// means nothing left on the client side can raise that row. Interleaved rounds (who goes first alternates), each run
/// started on a quiet host; medians. Last line: <c>min ours/bare: X</c>.
/// </summary>
internal static class FloorBenchmark
{
    private const int Rounds = 8;
    private const int WarmupPasses = 2;
    private const string OurRoot = "/floor-ours";
    private const string BareRoot = "/floor-bare";
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(30);

    private static readonly (string Name, string Op, string Mode, int Count)[] Rows =
    [
        ("pipelined create", "create", "pipelined", 20_000),
        ("pipelined setData", "setData", "pipelined", 20_000),
        ("sync setData", "setData", "sync", 6_000),
        ("sync getData", "getData", "sync", 6_000),
    ];

    public static async Task<int> RunAsync(CancellationToken ct)
    {
        var payload = new byte[ClientBenchmark.PayloadBytes];
        var serverOptions = ClientBenchmark.ServerOptions();
        await using var server = await ZooKeeperServer.StartNewAsync(serverOptions, ct);
        var maxCount = Rows.Max(r => r.Count);
        await using var ours = await OurClientRunner.StartAsync(
            new ZooKeeperClientOptions { ConnectString = server.ConnectString, SessionTimeout = SessionTimeout }, OurRoot + "/data", payload, maxCount, ct);
        using var bare = BareSocketClient.Connect(server.Port, (int)SessionTimeout.TotalMilliseconds);

        // The bare socket rotates over our node set (same nodes, same sizes) with frames built up front.
        var nodes = Enumerable.Range(0, OurClientRunner.NodeSet).Select(i => OurRoot + "/data/n" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var getFrames = nodes.Select(bare.GetDataFrame).ToArray();
        var setFrames = nodes.Select(n => bare.SetDataFrame(n, payload)).ToArray();
        var runs = 0;

        async Task<double> RunBareAsync((string Name, string Op, string Mode, int Count) row)
        {
            var frames = row.Op == "getData" ? getFrames : setFrames;
            byte[]? batch = null;
            var parent = BareRoot + "/r" + (++runs).ToString(CultureInfo.InvariantCulture);
            if (row.Op == "create")
            {
                await ours.Client.EnsurePathAsync(parent, cancellationToken: ct);
                batch = bare.CreateFrames([.. Enumerable.Range(0, row.Count).Select(i => parent + "/c" + i.ToString(CultureInfo.InvariantCulture))], payload);
            }
            else if (row.Mode == "pipelined")
            {
                batch = [.. Enumerable.Range(0, row.Count).SelectMany(i => frames[i % frames.Length])];
            }

            var clock = Stopwatch.StartNew();
            if (batch is not null)
            {
                bare.Pipeline(batch, row.Count);
            }
            else
            {
                for (var i = 0; i < row.Count; i++)
                {
                    bare.RoundTrip(frames[i % frames.Length]);
                }
            }

            var rate = row.Count / clock.Elapsed.TotalSeconds;
            if (row.Op == "create")
            {
                await ours.Client.DeleteRecursiveAsync(parent, ct);
            }

            return rate;
        }

        async Task<double> RunOursAsync((string Name, string Op, string Mode, int Count) row)
        {
            var parent = OurRoot + "/r" + (++runs).ToString(CultureInfo.InvariantCulture);
            var sample = await ours.RunAsync(row.Op, row.Mode, row.Count, parent, ct);
            if (row.Op == "create")
            {
                await ours.CleanupAsync(parent, ct);
            }

            return sample.OpsPerSecond;
        }

        Console.WriteLine("ZooKeeper client floor: ours vs a bare blocking socket with prebuilt frames (replies counted, not decoded), same server");
        Console.WriteLine(Invariant($"server:  standalone on {server.ConnectString}, Netty (a TLS port is configured; both use the plain one), forceSync=no, [{string.Join(", ", serverOptions.ExtraConfig)}], -Xmx{serverOptions.HeapMegabytes}m, full JIT; {Environment.ProcessorCount} cores shared by all"));
        Console.WriteLine(Invariant($"load:    payload {payload.Length} B, one session each, {WarmupPasses} warm-up passes, {Rounds} rounds (who goes first alternates), medians"));
        for (var pass = 0; pass < WarmupPasses; pass++)
        {
            foreach (var row in Rows)
            {
                await RunBareAsync(row);
                await RunOursAsync(row);
            }
        }

        var ourRates = Rows.Select(_ => new List<double>()).ToArray();
        var bareRates = Rows.Select(_ => new List<double>()).ToArray();
        for (var round = 1; round <= Rounds; round++)
        {
            for (var r = 0; r < Rows.Length; r++)
            {
                double o, b;
                if (round % 2 == 1)
                {
                    await HostQuiet.WaitAsync(ct);
                    o = await RunOursAsync(Rows[r]);
                    await HostQuiet.WaitAsync(ct);
                    b = await RunBareAsync(Rows[r]);
                }
                else
                {
                    await HostQuiet.WaitAsync(ct);
                    b = await RunBareAsync(Rows[r]);
                    await HostQuiet.WaitAsync(ct);
                    o = await RunOursAsync(Rows[r]);
                }

                ourRates[r].Add(o);
                bareRates[r].Add(b);
                Console.WriteLine(Invariant($"  round {round}: {Rows[r].Name,-18} ours {o,8:F0} ops/s | bare {b,8:F0} ops/s"));
            }
        }

        await ours.CleanupDataAsync(ct);
        Console.WriteLine();
        const string Header = "row                        | ours ops/s | bare socket ops/s | ours ÷ bare";
        Console.WriteLine(Header);
        Console.WriteLine(new string('-', Header.Length));
        var min = double.PositiveInfinity;
        for (var r = 0; r < Rows.Length; r++)
        {
            var o = Median(ourRates[r]);
            var b = Median(bareRates[r]);
            min = Math.Min(min, o / b);
            Console.WriteLine(Invariant(
                $"{Rows[r].Name + " (" + Rows[r].Count.ToString("N0", CultureInfo.InvariantCulture) + ")",-26} | {o,10:F0} | {b,17:F0} | {o / b,11:F2}"));
        }

        Console.WriteLine(Invariant($"min ours/bare: {min:F2}"));
        return 0;
    }
}
