namespace Orleans.ZooKeeper.Tool.Cli;

/// <summary>
/// An expected failure of a command (unknown key, refused write, unreachable ensemble, bad input): the tool prints its
/// message — one line, naming the value and where it came from — and exits with <see cref="ExitCode"/>, never a stack trace.
/// </summary>
internal class ToolException : Exception
{
    public ToolException(string message, int exitCode = ExitCodes.Failed, Exception? innerException = null)
        : base(message, innerException) => ExitCode = exitCode;

    public int ExitCode { get; }
}

/// <summary>The tool's exit codes (README, "Operating it").</summary>
internal static class ExitCodes
{
    /// <summary>Done (for <c>doctor</c>: nothing to do).</summary>
    public const int Ok = 0;

    /// <summary>Not found, refused (a conflict, a newer record) or bad input; <c>doctor</c>: findings to act on.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is wrong (unknown command or option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>ZooKeeper could not be reached or refused the session (credentials, TLS).</summary>
    public const int Unreachable = 3;

    /// <summary>Interrupted (Ctrl-C) before the command finished; what was done is said on stderr.</summary>
    public const int Interrupted = 130;
}
