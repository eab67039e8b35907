namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>The retry helper: which errors it retries, how long it waits, and when it gives up.</summary>
public sealed class RetryPolicyTests
{
    private static readonly ZooKeeperRetryPolicy Fast = new() { InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(4) };

    [Fact]
    public async Task Transient_errors_are_retried_until_the_operation_succeeds()
    {
        var calls = 0;
        var result = await Fast.ExecuteAsync(_ =>
        {
            calls++;
            return calls switch
            {
                1 => throw new ConnectionLossException("/a"),
                2 => throw new ZooKeeperException(ErrorCode.Throttled, "/a"),
                3 => throw new OperationTimeoutException("/a"),
                _ => ValueTask.FromResult(42),
            };
        });

        Assert.Equal(42, result);
        Assert.Equal(4, calls);
    }

    [Theory]
    [InlineData(ErrorCode.NoNode)]
    [InlineData(ErrorCode.BadVersion)]
    [InlineData(ErrorCode.NodeExists)]
    [InlineData(ErrorCode.SessionExpired)]
    [InlineData(ErrorCode.NoAuth)]
    public async Task Other_errors_are_thrown_at_once(ErrorCode code)
    {
        var calls = 0;
        var ex = await Assert.ThrowsAnyAsync<ZooKeeperException>(async () => await Fast.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw ZooKeeperExceptionFor(code);
        }));

        Assert.Equal(code, ex.Code);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task After_the_last_attempt_the_last_error_is_thrown_as_it_was()
    {
        var calls = 0;
        var policy = Fast with { MaxAttempts = 3 };
        var ex = await Assert.ThrowsAsync<ConnectionLossException>(async () => await policy.ExecuteAsync(_ =>
        {
            calls++;
            throw new ConnectionLossException("/x", "attempt " + calls);
        }));

        Assert.Equal(3, calls);
        Assert.Contains("attempt 3", ex.Message);
    }

    [Fact]
    public async Task No_retry_starts_after_the_deadline()
    {
        var policy = new ZooKeeperRetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(40), MaxDelay = TimeSpan.FromMilliseconds(40), Jitter = 0, MaxAttempts = 0, Deadline = TimeSpan.FromMilliseconds(150) };
        var calls = 0;
        await Assert.ThrowsAsync<ConnectionLossException>(async () => await policy.ExecuteAsync(_ =>
        {
            calls++;
            throw new ConnectionLossException();
        }));

        // Attempts at ~0, 40, 80, 120 ms; a retry at 160 ms would pass the deadline.
        Assert.InRange(calls, 2, 4);
    }

    [Fact]
    public async Task Cancellation_ends_the_waiting()
    {
        using var cts = new CancellationTokenSource();
        var policy = new ZooKeeperRetryPolicy { InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(1), Deadline = TimeSpan.FromMinutes(10) };
        var running = policy.ExecuteAsync(_ => throw new ConnectionLossException(), cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Delays_grow_by_the_multiplier_up_to_the_maximum_and_jitter_only_shortens_them()
    {
        var policy = new ZooKeeperRetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100), BackoffMultiplier = 3, Jitter = 0.5 };
        Assert.Equal(10, policy.DelayBefore(1, 0).TotalMilliseconds, 3);
        Assert.Equal(30, policy.DelayBefore(2, 0).TotalMilliseconds, 3);
        Assert.Equal(90, policy.DelayBefore(3, 0).TotalMilliseconds, 3);
        Assert.Equal(100, policy.DelayBefore(4, 0).TotalMilliseconds, 3);
        Assert.Equal(100, policy.DelayBefore(1000, 0).TotalMilliseconds, 3);
        Assert.Equal(50, policy.DelayBefore(9, 1).TotalMilliseconds, 3);
        Assert.Equal(5, policy.DelayBefore(1, 0.999999).TotalMilliseconds, 3);
    }

    [Fact]
    public async Task Bad_settings_are_refused_naming_the_setting()
    {
        var bad = new ZooKeeperRetryPolicy { Jitter = 2 };
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await bad.ExecuteAsync(_ => ValueTask.FromResult(1)));
        Assert.Equal("Jitter", ex.ParamName);
    }

    private static ZooKeeperException ZooKeeperExceptionFor(ErrorCode code) => code switch
    {
        ErrorCode.NoNode => new NoNodeException("/x"),
        ErrorCode.BadVersion => new BadVersionException("/x"),
        ErrorCode.NodeExists => new NodeExistsException("/x"),
        ErrorCode.SessionExpired => new SessionExpiredException("/x"),
        ErrorCode.NoAuth => new NoAuthException("/x"),
        _ => new ZooKeeperException(code, "/x"),
    };
}
