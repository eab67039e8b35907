namespace Orleans.ZooKeeper.Client;

/// <summary>
/// Retries an operation that failed with a transient ZooKeeper error: exponential backoff with jitter, bounded by a
/// number of attempts and an overall deadline. Only <see cref="IsRetryable"/> errors are retried; anything else, and
/// the last error once attempts or time run out, is thrown as it was.
/// </summary>
/// <remarks>
/// A retried write may have been applied by the attempt that failed with <see cref="ConnectionLossException"/>: retry
/// only idempotent operations (conditional sets, creates that tolerate <see cref="NodeExistsException"/>, reads), or
/// make them so (as advertisements do with protected names). <see cref="SessionExpiredException"/> is not retried by
/// default: what depended on the old session (ephemeral nodes, watches, locks) has to be re-established first.
/// </remarks>
public sealed record ZooKeeperRetryPolicy
{
    /// <summary>50 ms doubling to 2 s, half of each delay random, at most 10 attempts within 30 s.</summary>
    public static ZooKeeperRetryPolicy Default { get; } = new();

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest delay between attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Each delay is this many times the previous one (before jitter).</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>The random part of each delay, 0 to 1: 0.5 means a delay d is spread over [d/2, d].</summary>
    public double Jitter { get; init; } = 0.5;

    /// <summary>Attempts in all (the first one included); 0 for no limit but the deadline.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>No retry starts after this much time since the first attempt began.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Which failures are retried; null for <see cref="IsTransient"/>.</summary>
    public Func<Exception, bool>? IsRetryable { get; init; }

    /// <summary>The clock the delays and the deadline use.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The default retryable errors: connection loss, operation and request timeouts, a moved session, and the
    /// server throttling requests.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception is ZooKeeperException
    {
        Code: ErrorCode.ConnectionLoss or ErrorCode.OperationTimeout or ErrorCode.SessionMoved or ErrorCode.Throttled or ErrorCode.RequestTimeout,
    };

    /// <summary>Runs <paramref name="operation"/>, retrying transient failures.</summary>
    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        Validate();
        var started = TimeProvider.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ShouldRetry(ex, attempt, started, cancellationToken, out var delay))
            {
                await Task.Delay(delay, TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs <paramref name="operation"/>, retrying transient failures.</summary>
    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await ExecuteAsync<bool>(
            async ct =>
            {
                await operation(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The delay before retry number <paramref name="retry"/> (1 = the first retry), with <paramref name="random"/> in [0, 1).</summary>
    internal TimeSpan DelayBefore(int retry, double random)
    {
        var nominal = InitialDelay.TotalMilliseconds * Math.Pow(BackoffMultiplier, Math.Min(retry - 1, 60));
        nominal = Math.Min(nominal, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(nominal * (1 - (Jitter * random)));
    }

    private bool ShouldRetry(Exception exception, int attempt, long started, CancellationToken cancellationToken, out TimeSpan delay)
    {
        delay = default;
        if (cancellationToken.IsCancellationRequested || !(IsRetryable ?? IsTransient)(exception))
        {
            return false;
        }

        if (MaxAttempts > 0 && attempt >= MaxAttempts)
        {
            return false;
        }

        delay = DelayBefore(attempt, Random.Shared.NextDouble());
        return TimeProvider.GetElapsedTime(started) + delay <= Deadline;
    }

    private void Validate()
    {
        if (InitialDelay < TimeSpan.Zero || MaxDelay < InitialDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialDelay), InitialDelay, $"Delays must satisfy 0 <= InitialDelay <= MaxDelay ({MaxDelay}).");
        }

        if (BackoffMultiplier < 1 || double.IsNaN(BackoffMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(BackoffMultiplier), BackoffMultiplier, "The backoff multiplier must be at least 1.");
        }

        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Jitter must be between 0 and 1.");
        }

        if (MaxAttempts < 0 || Deadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), $"MaxAttempts must not be negative ({MaxAttempts}) and the deadline must be positive ({Deadline}).");
        }
    }
}
