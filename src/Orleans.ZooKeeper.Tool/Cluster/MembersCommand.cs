using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Cluster;

/// <summary>One membership row as clustering stores it (<c>{table}/{ip:port@generation}</c>, JSON, with an <c>IAmAlive</c> child).</summary>
internal sealed record MemberRow(string Silo, string? Name, string? Status, string? Host, int? ProxyPort, DateTimeOffset? Started, DateTimeOffset? IAmAlive, double? IAmAliveAgeSeconds, IReadOnlyList<Suspicion> Suspicions, string ETag, string? Problem);

/// <summary>One vote against a silo: who suspects it, since when.</summary>
internal sealed record Suspicion(string By, DateTimeOffset? Since);

/// <summary><c>members --cluster C</c>: the membership table, as Orleans' own table dumps show it.</summary>
internal static class MembersCommand
{
    private const string HeartbeatName = "IAmAlive";

    public static Command Build(ToolContext context)
    {
        var cluster = new Option<string>("--cluster", "-c") { Description = "The ClusterId (ClusterOptions.ClusterId): the table node {base path}/{ClusterId}", Required = true };
        var command = new Command("members", "The membership table: silo, status, IAmAlive age, suspicions, row ETag") { cluster };
        command.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, parse.GetValue(cluster)!, report, DateTimeOffset.UtcNow, token)));
        return command;
    }

    private static async Task<int> RunAsync(ToolSession session, string cluster, Report report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (cluster.Length == 0 || cluster.Contains('/', StringComparison.Ordinal) || ZooKeeperPath.GetError("/" + cluster) is not null)
        {
            throw new ToolException($"--cluster '{cluster}' cannot name a table node (a ClusterId is one znode name).");
        }

        var table = session.PathOf(cluster);
        ChildrenResult children;
        try
        {
            children = await session.Client.GetChildrenWithStatAsync(table, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            throw new ToolException($"No membership table for cluster '{cluster}': {table} does not exist (the ClusterId is case-sensitive; --url or --config sets the base path).");
        }

        var rows = new List<MemberRow>();
        foreach (var name in children.Children.Where(c => c.Contains('@', StringComparison.Ordinal) && c.Contains(':', StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var path = table + "/" + name;
            var read = await session.Client.MultiReadAsync([Op.GetData(path), Op.GetData(path + "/" + HeartbeatName)], cancellationToken).ConfigureAwait(false);
            if (read[0] is not GetDataOpResult row)
            {
                continue; // removed since the listing
            }

            var heartbeat = read[1] is GetDataOpResult beat ? ReadHeartbeat(beat.Data) : null;
            rows.Add(Parse(name, row, heartbeat, now));
        }

        if (report.Json)
        {
            report.JsonDocument(new { cluster, table, version = children.Stat.Version, members = rows });
            return ExitCodes.Ok;
        }

        report.Table(
            ["SILO", "NAME", "STATUS", "HOST", "PROXY", "STARTED", "IAMALIVE AGE", "SUSPECTED BY", "ETAG"],
            rows.Select(r => (IReadOnlyList<string>)[
                r.Silo,
                r.Name ?? "?",
                r.Problem is null ? r.Status ?? "?" : "unreadable: " + r.Problem,
                r.Host ?? "",
                r.ProxyPort?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.Started is { } s ? States.StateCommands.Time(s) : "",
                r.IAmAliveAgeSeconds is { } age ? Age(age) : "never",
                r.Suspicions.Count == 0 ? "-" : string.Join(", ", r.Suspicions.Select(v => v.By)),
                r.ETag,
            ]));
        report.Line($"{rows.Count} silo(s) in cluster '{cluster}' ({rows.Count(r => r.Status == "Active")} active); table version {children.Stat.Version}");
        return ExitCodes.Ok;
    }

    private static MemberRow Parse(string silo, GetDataOpResult row, DateTimeOffset? heartbeat, DateTimeOffset now)
    {
        var etag = row.Stat.Version.ToString(CultureInfo.InvariantCulture);
        try
        {
            using var document = JsonDocument.Parse(row.Data);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new MemberRow(silo, null, null, null, null, null, heartbeat, null, [], etag, "not a JSON object");
            }

            var suspicions = new List<Suspicion>();
            if (root.TryGetProperty("SuspectTimes", out var votes) && votes.ValueKind == JsonValueKind.Array)
            {
                foreach (var vote in votes.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.Object))
                {
                    suspicions.Add(new Suspicion(SiloOf(vote, "Item1") ?? "?", Time(vote, "Item2")));
                }
            }

            var alive = Latest(Time(root, "IAmAliveTime"), heartbeat);
            return new MemberRow(
                silo,
                Text(root, "SiloName"),
                StatusOf(root),
                Text(root, "HostName"),
                root.TryGetProperty("ProxyPort", out var proxy) && proxy.TryGetInt32(out var port) ? port : null,
                Time(root, "StartTime"),
                alive,
                alive is { } a ? Math.Max(0, (now - a).TotalSeconds) : null,
                suspicions,
                etag,
                null);
        }
        catch (JsonException ex)
        {
            return new MemberRow(silo, null, null, null, null, null, heartbeat, null, [], etag, "not JSON: " + ex.Message);
        }
    }

    private static DateTimeOffset? ReadHeartbeat(byte[] data)
    {
        try
        {
            return JsonSerializer.Deserialize<string>(data) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The row's status by name; clustering also reads it as a number (Orleans' <c>SiloStatus</c>).</summary>
    internal static string? StatusOf(JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty("Status", out var status))
        {
            return null;
        }

        return status.ValueKind switch
        {
            JsonValueKind.String => status.GetString(),
            JsonValueKind.Number when status.TryGetInt32(out var number) => ((Orleans.Runtime.SiloStatus)number).ToString(),
            _ => null,
        };
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? Time(JsonElement element, string name)
        => Text(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    private static string? SiloOf(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ValueKind == JsonValueKind.Object ? Text(value, "SiloAddress") : null : null;

    internal static string Age(double seconds) => seconds switch
    {
        < 120 => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        < 7200 => (seconds / 60).ToString("0", CultureInfo.InvariantCulture) + " min",
        < 172800 => (seconds / 3600).ToString("0.0", CultureInfo.InvariantCulture) + " h",
        _ => (seconds / 86400).ToString("0", CultureInfo.InvariantCulture) + " d",
    };
}
