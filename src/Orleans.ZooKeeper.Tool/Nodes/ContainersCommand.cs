using System.CommandLine;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Cluster;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Contention;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Nodes;

/// <summary><c>containers</c>: the processes advertising under the base path (<c>ZooKeeperContainer.AdvertiseAsync</c>).</summary>
internal static class ContainersCommand
{
    public static Command Build(ToolContext context)
    {
        var folder = new Option<string>("--folder") { Description = "The advertisement folder below the base path (AdvertiseAsync's relativePath)", DefaultValueFactory = _ => "advertised" };
        var command = new Command("containers", "Advertisements of running containers: node, session, age, data") { folder };
        command.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, parse.GetValue(folder)!.Trim('/'), report, token)));
        return command;
    }

    private static async Task<int> RunAsync(ToolSession session, string folder, Report report, CancellationToken cancellationToken)
    {
        var parent = session.PathOf(folder);
        var entries = new List<QueueEntry>();
        if (await session.Client.ExistsAsync(parent, null, cancellationToken).ConfigureAwait(false) is not null)
        {
            entries = await QueueReader.ReadAsync(session, parent, folder, int.MaxValue, "advertising", DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        }

        if (report.Json)
        {
            report.JsonDocument(new { folder = parent, advertisements = entries.Select(e => new { node = e.Name, session = e.Session, ephemeral = e.Ephemeral, ageSeconds = e.AgeSeconds, data = e.Data }) });
            return ExitCodes.Ok;
        }

        report.Table(["NODE", "SESSION", "AGE", "DATA"], entries.Select(e => (IReadOnlyList<string>)[e.Name, e.Session, MembersCommand.Age(e.AgeSeconds), e.Data]));
        report.Line($"{entries.Count} advertisement(s) below {parent}");
        return ExitCodes.Ok;
    }
}
