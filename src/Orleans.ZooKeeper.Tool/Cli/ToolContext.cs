using System.CommandLine;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Cli;

/// <summary>What every command's action gets: the global options, the streams, the environment, and one way to run.</summary>
internal sealed class ToolContext
{
    public ToolContext(TextWriter output, TextWriter error, bool interactive, Func<string, string?>? environment)
    {
        Output = output;
        Error = error;
        Interactive = interactive;
        Environment = environment;
    }

    public GlobalOptions Options { get; } = new();

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public bool Interactive { get; }

    public Func<string, string?>? Environment { get; }

    /// <summary>
    /// Resolves the target, opens a session, runs <paramref name="body"/> and turns every expected failure into a
    /// one-line message and an exit code (see <see cref="ExitCodes"/>).
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<ToolSession, Report, CancellationToken, Task<int>> body)
    {
        var report = new Report(Output, Error, parse.GetValue(Options.Json), Interactive);
        try
        {
            var target = ToolTarget.Resolve(parse, Options, Environment);
            var timeout = parse.GetValue(Options.Timeout);
            if (!(timeout > 0) || timeout > 86_400)
            {
                throw new ToolException($"--timeout '{timeout}' must be a number of seconds above 0 and at most 86400.", ExitCodes.Usage);
            }

            await using var session = await ToolSession.OpenAsync(target, TimeSpan.FromSeconds(timeout), cancellationToken).ConfigureAwait(false);
            return await body(session, report, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolException ex)
        {
            Error.WriteLine("orleans-zk: " + ex.Message);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error.WriteLine("orleans-zk: interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (ZooKeeperException ex)
        {
            Error.WriteLine("orleans-zk: ZooKeeper failed: " + ex.Message);
            return ex is NoAuthException ? ExitCodes.Failed : ExitCodes.Unreachable;
        }
        catch (ArgumentException ex)
        {
            // A name that cannot become a znode name (a lone surrogate in a key, ...): bad input, one line.
            Error.WriteLine("orleans-zk: " + ex.Message);
            return ExitCodes.Failed;
        }
    }
}
