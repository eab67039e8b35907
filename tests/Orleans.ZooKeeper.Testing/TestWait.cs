namespace Orleans.ZooKeeper.Testing;

/// <summary>Waits on a condition with a deadline (instead of sleeping and hoping).</summary>
public static class TestWait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string? what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {timeout.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Polls a synchronous <paramref name="condition"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string? what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), timeout, what);
    }
}
