using System.CommandLine;
using Orleans.ZooKeeper.Tool.Cluster;
using Orleans.ZooKeeper.Tool.Contention;
using Orleans.ZooKeeper.Tool.Doctor;
using Orleans.ZooKeeper.Tool.Nodes;
using Orleans.ZooKeeper.Tool.States;

namespace Orleans.ZooKeeper.Tool.Cli;

/// <summary>The <c>orleans-zk</c> command tree.</summary>
internal static class ToolApp
{
    /// <summary>Parses <paramref name="args"/> and runs the command; the exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where answers go.</param>
    /// <param name="error">Where messages go.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl-C).</param>
    /// <param name="interactive">A person at a terminal (progress bars); false for redirected output and tests.</param>
    /// <param name="environment">Reads environment variables (tests pass their own).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, bool interactive = false, Func<string, string?>? environment = null)
    {
        var context = new ToolContext(output, error, interactive, environment);
        var root = new RootCommand("orleans-zk: read and repair what Orleans.ZooKeeper stores in ZooKeeper (grain states, membership, elections, locks, semaphores, advertisements).");
        foreach (var option in context.Options.All())
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(StateCommands.Build(context));
        root.Subcommands.Add(MembersCommand.Build(context));
        foreach (var command in ContentionCommands.Build(context))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(ContainersCommand.Build(context));
        root.Subcommands.Add(TreeCommand.Build(context));
        root.Subcommands.Add(WatchCommand.Build(context));
        root.Subcommands.Add(DoctorCommand.Build(context));

        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine("orleans-zk: " + parseError.Message);
            }

            error.WriteLine("(orleans-zk --help lists the commands and options)");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
