namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>
/// Watches beliefs ("I lead", "I hold a lease") on a thread of its own, continuously, for more than
/// the given number of them at one instant. A belief is read as its fencing token (0 when not held). Reads of
/// several beliefs are not one atomic instant, so it reads all of them twice: a belief held with the same token in both
/// passes was held throughout (a term or lease never comes back once ended), so all such beliefs were held together at
/// the moment between the passes — sound, no false alarm when one ends and the next begins between two reads.
/// </summary>
internal sealed class ClaimWatchdog : IDisposable
{
    private readonly Func<IReadOnlyList<(string Who, long Token)>> _read;
    private readonly int _most;
    private readonly Thread _thread;
    private readonly List<string> _violations = [];
    private volatile bool _stop;
    private long _samples;

    public ClaimWatchdog(Func<IReadOnlyList<(string Who, long Token)>> read, int most = 1)
    {
        _read = read;
        _most = most;
        _thread = new Thread(Run) { IsBackground = true, Name = "claim watchdog" };
        _thread.Start();
    }

    /// <summary>How many double passes it made.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    public List<string> Violations
    {
        get
        {
            lock (_violations)
            {
                return [.. _violations];
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stop)
        {
            var first = _read().Where(c => c.Token != 0).ToList();
            if (first.Count > _most)
            {
                var second = _read().Where(c => c.Token != 0).ToHashSet();
                var throughout = first.Where(second.Contains).ToList();
                if (throughout.Count > _most)
                {
                    lock (_violations)
                    {
                        if (_violations.Count < 20)
                        {
                            _violations.Add($"{throughout.Count} held at once (at most {_most}): " + string.Join(", ", throughout.Select(c => $"{c.Who} 0x{c.Token:x}")));
                        }
                    }
                }
            }

            Interlocked.Increment(ref _samples);
            if (first.Count == 0)
            {
                Thread.Yield();
            }
        }
    }
}
