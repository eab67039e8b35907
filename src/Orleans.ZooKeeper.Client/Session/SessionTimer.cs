namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// The session's one heartbeat: a dedicated thread (a busy thread pool can delay neither pings nor the read-timeout
/// check) that ticks every <see cref="Period"/> for the whole life of the session, across reconnects.
/// </summary>
internal sealed class SessionTimer
{
    /// <summary>Tick interval: fine enough for deadlines of queued requests and the reader watchdog.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(25);

    private readonly Action<long> _tick;
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0);
    private Thread? _thread;

    public SessionTimer(Action<long> tick)
    {
        _tick = tick;
    }

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    /// <summary>Stops ticking; waits for a running tick unless called from one.</summary>
    public void Stop()
    {
        _stop.Set();
        if (_thread is { } thread && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }

    private void Run()
    {
        while (!_stop.Wait(Period))
        {
            _tick(Environment.TickCount64);
        }
    }
}
