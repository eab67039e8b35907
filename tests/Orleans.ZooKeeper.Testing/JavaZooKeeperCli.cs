using System.Diagnostics;

namespace Orleans.ZooKeeper.Testing;

/// <summary>What one run of the Java client printed.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Output">Standard output (the command's result).</param>
/// <param name="Error">Standard error (the client's log).</param>
public sealed record JavaCliResult(int ExitCode, string Output, string Error)
{
    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr (tail)\n{string.Join('\n', Error.Split('\n').TakeLast(25))}";
}

/// <summary>
/// The reference Java client: one <c>org.apache.zookeeper.ZooKeeperMain</c> (zkCli) command per JVM, for interop
/// tests (what ours writes, Java reads, and the other way round). With a JAAS file it authenticates as its
/// <c>Client</c> section says (SASL).
/// </summary>
public static class JavaZooKeeperCli
{
    /// <summary>Runs <c>zkCli -server <paramref name="connectString"/> <paramref name="command"/></c> and waits for it to exit.</summary>
    public static async Task<JavaCliResult> RunAsync(string connectString, IReadOnlyList<string> command, string? jaasFile = null, TimeSpan? timeout = null, IReadOnlyList<string>? extraJvmArgs = null, CancellationToken cancellationToken = default)
    {
        var installation = ZooKeeperInstallation.Default;
        var start = new ProcessStartInfo(installation.JavaPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-Xmx64m");
        start.ArgumentList.Add("-XX:TieredStopAtLevel=1");
        start.ArgumentList.Add("-XX:-UsePerfData");
        start.ArgumentList.Add("-Djava.net.preferIPv4Stack=true");
        if (jaasFile is not null)
        {
            start.ArgumentList.Add("-Djava.security.auth.login.config=" + jaasFile);
        }
        else
        {
            start.ArgumentList.Add("-Dzookeeper.sasl.client=false");
        }

        foreach (var argument in extraJvmArgs ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("-cp");
        start.ArgumentList.Add(installation.ClassPath);
        start.ArgumentList.Add("org.apache.zookeeper.ZooKeeperMain");
        start.ArgumentList.Add("-server");
        start.ArgumentList.Add(connectString);
        foreach (var part in command)
        {
            start.ArgumentList.Add(part);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("java did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the Java client did not finish '{string.Join(' ', command)}' in time");
        }

        return new JavaCliResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
