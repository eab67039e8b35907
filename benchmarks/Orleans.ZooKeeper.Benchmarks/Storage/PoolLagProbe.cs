using System.Diagnostics;

namespace Orleans.ZooKeeper.Benchmarks.Storage;

/// <summary>
/// Measures how long a work item queued to the thread pool's global queue waits before it runs (what timer callbacks
/// and socket completions queued from non-pool threads wait). A dedicated thread queues one item every 50 ms while the
/// previous one has run; the largest wait since <see cref="Reset"/> is kept, counting an item still waiting.
/// </summary>
internal sealed class PoolLagProbe : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private long _queuedAt;   // Stopwatch timestamp of the item in flight, 0 when none
    private long _maxTicks;

    public PoolLagProbe()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "thread-pool lag probe" };
        _thread.Start();
    }

    /// <summary>Starts a new window.</summary>
    public void Reset() => Interlocked.Exchange(ref _maxTicks, 0);

    /// <summary>The largest global-queue wait in the current window, including an item still waiting.</summary>
    public TimeSpan Max
    {
        get
        {
            var pending = Volatile.Read(ref _queuedAt);
            var max = Interlocked.Read(ref _maxTicks);
            if (pending != 0)
            {
                max = Math.Max(max, Stopwatch.GetTimestamp() - pending);
            }

            return Stopwatch.GetElapsedTime(0, max);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.Wait(Period))
        {
            if (Volatile.Read(ref _queuedAt) != 0)
            {
                continue; // the previous item has not run yet
            }

            Volatile.Write(ref _queuedAt, Stopwatch.GetTimestamp());
            ThreadPool.UnsafeQueueUserWorkItem(static probe => probe.Ran(), this, preferLocal: false);
        }
    }

    private void Ran()
    {
        var waited = Stopwatch.GetTimestamp() - Volatile.Read(ref _queuedAt);
        Volatile.Write(ref _queuedAt, 0);
        long seen;
        while (waited > (seen = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, waited, seen) != seen)
        {
        }
    }
}
