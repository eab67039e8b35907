using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Benchmarks.Scale;

/// <summary>
/// What the ensemble holds at one moment: znodes and stored bytes (the leader's <c>mntr</c>) and the live heap after
/// a full GC, averaged over the nodes (<c>jcmd &lt;pid&gt; GC.run</c>, then <c>GC.heap_info</c>).
/// </summary>
internal sealed partial record ServerFigures(long ZNodes, long DataBytes, long HeapBytes)
{
    public static async Task<ServerFigures> TakeAsync(ZooKeeperEnsemble ensemble, ZooKeeperServerProcess leader, CancellationToken ct)
    {
        var mntr = await leader.FourLetterWordAsync("mntr", ct);
        long heap = 0;
        foreach (var node in ensemble.Nodes)
        {
            heap += await LiveHeapBytesAsync(node.Pid, ct);
        }

        return new ServerFigures(Mntr(mntr, "zk_znode_count"), Mntr(mntr, "zk_approximate_data_size"), heap / ensemble.Nodes.Count);
    }

    /// <summary>The largest snapshot file any node holds.</summary>
    public static long LargestSnapshotBytes(ZooKeeperEnsemble ensemble)
        => ensemble.Nodes
            .SelectMany(node => Directory.EnumerateFiles(node.ZooKeeperDataDir, "snapshot.*", SearchOption.AllDirectories))
            .Select(file => new FileInfo(file).Length)
            .DefaultIfEmpty(0)
            .Max();

    private static long Mntr(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2 && parts[0] == key)
            {
                return long.Parse(parts[1].Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"mntr has no '{key}': {text}");
    }

    private static async Task<long> LiveHeapBytesAsync(int pid, CancellationToken ct)
    {
        await JcmdAsync(pid, "GC.run", ct);
        var info = await JcmdAsync(pid, "GC.heap_info", ct);
        var match = HeapUsed().Match(info);
        return match.Success
            ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1024
            : throw new InvalidOperationException($"jcmd {pid} GC.heap_info: no 'used NK' in: {info}");
    }

    private static async Task<string> JcmdAsync(int pid, string command, CancellationToken ct)
    {
        var start = new ProcessStartInfo("jcmd", [pid.ToString(CultureInfo.InvariantCulture), command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("jcmd did not start");
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"jcmd {pid} {command} exited with {process.ExitCode}: {output}{error}");
    }

    [GeneratedRegex(@"heap\s+total\s+\d+K,\s+used\s+(\d+)K")]
    private static partial Regex HeapUsed();
}
