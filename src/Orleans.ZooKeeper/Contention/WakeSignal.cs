namespace Orleans.ZooKeeper.Contention;

/// <summary>
/// An auto-resetting wake-up for a loop that re-reads its state each round: <see cref="Arm"/> before reading, then
/// await the armed task; any <see cref="Set"/> after the arm completes it, so no wake-up is lost between the read and
/// the wait. Set is cheap and may come from any thread (watch callbacks, state changes).
/// </summary>
internal sealed class WakeSignal
{
    private readonly object _lock = new();
    private TaskCompletionSource _next = New();

    /// <summary>A task completed by the first <see cref="Set"/> from now on.</summary>
    public Task Arm()
    {
        lock (_lock)
        {
            if (_next.Task.IsCompleted)
            {
                _next = New();
            }

            return _next.Task;
        }
    }

    /// <summary>Wakes whoever armed.</summary>
    public void Set()
    {
        lock (_lock)
        {
            _next.TrySetResult();
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
