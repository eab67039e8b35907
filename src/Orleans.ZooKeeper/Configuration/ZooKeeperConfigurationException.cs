namespace Orleans.ZooKeeper;

/// <summary>
/// Thrown by <see cref="ZooKeeperTargetResolver.Resolve"/> when a container's URL, configuration section or
/// environment holds a value that cannot be used. The message names the offending value and where it came from
/// (<see cref="Origin"/>); a password is never included.
/// </summary>
public sealed class ZooKeeperConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The complete message; it names <paramref name="value"/> and <paramref name="origin"/>.</param>
    /// <param name="origin">Where the value came from, e.g. <c>URL 'zookeeper://h:0/x'</c>,
    /// <c>configuration key 'zookeeper:servers'</c> or <c>environment variable ASAB_ZOOKEEPER_SERVERS</c>.</param>
    /// <param name="value">The offending value as written, or null when there is none (a missing value, or a secret).</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ZooKeeperConfigurationException(string message, string origin, string? value, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(origin);
        Origin = origin;
        Value = value;
    }

    /// <summary>
    /// Where the offending value came from: the URL, a configuration key, the environment variable, or, for a value
    /// missing everywhere, every place that was checked.
    /// </summary>
    public string Origin { get; }

    /// <summary>The offending value as written (null when missing, or when it is a password).</summary>
    public string? Value { get; }
}
