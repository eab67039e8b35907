namespace Orleans.ZooKeeper;

/// <summary>
/// A container could not start for a reason that needs no debugging, only a fix in configuration or operations: no
/// server listens where it was told to look, none answered within <see cref="ZooKeeperContainerOptions.StartupTimeout"/>,
/// or the servers refused its credentials. The message names the container, the target and the cause (with the last
/// connection attempt's error). <see cref="ToString"/> is that message alone — no stack trace — so that a host logging
/// the failed start (Orleans does, at Error) shows one readable line; <see cref="Exception.InnerException"/> keeps the
/// client's exception for those who want it.
/// </summary>
public sealed class ZooKeeperStartupException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperStartupException()
        : base("A ZooKeeper container could not start.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperStartupException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the client's exception.</summary>
    public ZooKeeperStartupException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>None: where it was thrown says nothing about the cause.</summary>
    public override string? StackTrace => null;

    /// <summary>The type and the message, without stack traces (also not the inner exception's).</summary>
    public override string ToString() => $"{GetType().FullName}: {Message}";
}
