using System.CommandLine;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Nodes;

/// <summary><c>tree [PATH]</c>: a subtree with every node named by our layout.</summary>
internal static class TreeCommand
{
    public static Command Build(ToolContext context)
    {
        var path = new Argument<string?>("path") { Description = "Below the base path (relative), or absolute with a leading '/'; default: the base path", Arity = ArgumentArity.ZeroOrOne };
        var depth = new Option<int>("--depth") { Description = "Levels below PATH to show", DefaultValueFactory = _ => 8 };
        var limit = new Option<int>("--limit") { Description = "Nodes to show at most", DefaultValueFactory = _ => 5000 };
        var command = new Command("tree", "A subtree, each node described by what it is in our layout (states with format and ETag, guards, queues, membership rows)") { path, depth, limit };
        command.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, Resolve(session, parse.GetValue(path)), parse.GetValue(depth), parse.GetValue(limit), report, token)));
        return command;
    }

    /// <summary>A path argument: absolute as given, else below the base path; a clear error when invalid.</summary>
    public static string Resolve(ToolSession session, string? path)
    {
        var resolved = string.IsNullOrEmpty(path) ? session.BasePath : path[0] == '/' ? path : session.PathOf(path.TrimEnd('/'));
        if (ZooKeeperPath.GetError(resolved) is { } error)
        {
            throw new ToolException($"The path '{path}' (resolved to '{resolved}') is not a valid znode path: {error}.", ExitCodes.Usage);
        }

        return resolved;
    }

    private static async Task<int> RunAsync(ToolSession session, string path, int depth, int limit, Report report, CancellationToken cancellationToken)
    {
        if (await session.Client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new ToolException($"{path} does not exist.");
        }

        var walker = new LayoutWalker(session.Client, Math.Max(0, depth), Math.Max(1, limit));
        var nodes = new List<LayoutNode>();
        await foreach (var node in walker.WalkAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (report.Json)
            {
                nodes.Add(node);
            }
            else
            {
                var name = node.Depth == 0 ? node.Path : ZooKeeperPath.GetName(node.Path);
                report.Line(new string(' ', node.Depth * 2) + name + "  — " + node.Description);
            }
        }

        if (report.Json)
        {
            report.JsonDocument(new
            {
                path,
                truncated = walker.Truncated,
                nodes = nodes.Select(n => new { path = n.Path, kind = n.Kind, description = n.Description, size = n.Data.Length, children = n.Children.Count, czxid = n.Stat.Czxid, version = n.Stat.Version, ephemeralOwner = n.Stat.EphemeralOwner }),
            });
        }
        else if (walker.Truncated)
        {
            report.Note($"(stopped after {limit} nodes; --limit shows more)");
        }

        return ExitCodes.Ok;
    }
}
