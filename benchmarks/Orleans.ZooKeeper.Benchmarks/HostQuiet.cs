using System.Globalization;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>
/// Waits until the whole host is nearly idle (below 10 % CPU over a 50 ms window, from /proc/stat), so a timed run
/// does not start while the previous one's after-work (garbage collection, JIT, a server snapshot) is still going.
/// </summary>
internal static class HostQuiet
{
    /// <summary>Returns once the host is quiet, or after <paramref name="atMost"/> (default 2 s) regardless.</summary>
    public static async Task WaitAsync(CancellationToken ct, TimeSpan? atMost = null)
    {
        var deadline = DateTime.UtcNow + (atMost ?? TimeSpan.FromSeconds(2));
        while (DateTime.UtcNow < deadline)
        {
            var (total0, idle0) = Sample();
            await Task.Delay(50, ct);
            var (total1, idle1) = Sample();
            var total = total1 - total0;
            if (total <= 0 || 1.0 - ((double)(idle1 - idle0) / total) < 0.10)
            {
                return;
            }
        }
    }

    private static (long Total, long Idle) Sample()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var v = cpu.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            return (v.Sum(), v[3] + v[4]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (0, 0);
        }
    }
}
