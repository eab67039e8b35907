using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// Where the membership table lives in ZooKeeper (the layout of Microsoft.Orleans.Clustering.ZooKeeper, below the
/// container path instead of the connect string's chroot):
/// <list type="bullet">
/// <item><c>{container path}/{ClusterId}</c> — the table node. Its znode version is the table version and its ETag.</item>
/// <item><c>{table}/{ip:port@generation}</c> — one row per silo (<see cref="SiloAddress.ToParsableString"/>): the
/// entry as JSON; its znode version is the row ETag.</item>
/// <item><c>{row}/IAmAlive</c> — the silo's heartbeat (a JSON timestamp), apart from the row so that heartbeats change
/// neither the row ETag nor the table version.</item>
/// </list>
/// Children of the table node whose names are not silo addresses are not rows: they are left alone.
/// </summary>
internal static class MembershipLayout
{
    /// <summary>The heartbeat child of a row.</summary>
    public const string HeartbeatName = "IAmAlive";

    /// <summary>The table ETag reported while the table node does not exist (an insert with it creates the node).</summary>
    public const string AbsentTableETag = "none";

    /// <summary>Why a cluster id cannot name the table node, or null when it can.</summary>
    public static string? ClusterIdError(string? clusterId)
    {
        if (string.IsNullOrEmpty(clusterId))
        {
            return "ClusterOptions.ClusterId is not set; it names the table node {container path}/{ClusterId}.";
        }

        var reason = clusterId.Contains('/', StringComparison.Ordinal) ? "it contains '/'" : ZooKeeperPath.GetError("/" + clusterId);
        if (reason is not null)
        {
            return $"ClusterOptions.ClusterId '{clusterId}' cannot be a ZooKeeper node name ({reason}); it names the table node {{container path}}/{{ClusterId}}.";
        }

        return null;
    }

    public static string TablePath(string basePath, string clusterId) => ZooKeeperPath.Combine(basePath, clusterId);

    public static string RowPath(string tablePath, SiloAddress silo) => ZooKeeperPath.Combine(tablePath, silo.ToParsableString());

    public static string HeartbeatPath(string rowPath) => rowPath + "/" + HeartbeatName;

    /// <summary>The silo a child of the table node stands for; false for children that are not rows.</summary>
    public static bool TryParseRowName(string name, out SiloAddress silo)
    {
        silo = null!;
        if (name.IndexOf('@', StringComparison.Ordinal) <= 0 || name.IndexOf(':', StringComparison.Ordinal) <= 0)
        {
            return false;
        }

        try
        {
            silo = SiloAddress.FromParsableString(name);
            return silo.ToParsableString() == name;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>The table ETag of a table node version.</summary>
    public static string TableETag(int version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A znode version from an ETag this provider issued; false for anything else (never a negative "any version").</summary>
    public static bool TryParseVersion(string? etag, out int version)
        => int.TryParse(etag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
}
