using Microsoft.Extensions.Logging;

namespace Orleans.Clustering.ZooKeeper;

internal static partial class MembershipLog
{
    [LoggerMessage(1100, LogLevel.Information, "ZooKeeper clustering keeps cluster '{ClusterId}' in {TablePath} through container '{Container}' ({Target})")]
    public static partial void Started(ILogger logger, string clusterId, string tablePath, string container, string target);

    [LoggerMessage(1101, LogLevel.Information, "ZooKeeper clustering created the table node {TablePath}")]
    public static partial void TableCreated(ILogger logger, string tablePath);

    [LoggerMessage(1102, LogLevel.Debug, "ZooKeeper clustering: {TablePath} changed while it was read (attempt {Attempt}); reading again")]
    public static partial void SnapshotRetry(ILogger logger, string tablePath, int attempt);

    [LoggerMessage(1103, LogLevel.Debug, "ZooKeeper clustering: {Path} under the table is not a membership row (its name is no silo address); left alone")]
    public static partial void ForeignChild(ILogger logger, string path);

    [LoggerMessage(1104, LogLevel.Information, "ZooKeeper clustering removed the defunct row {Path} (status {Status}, last activity {LastActivity:o}, cutoff {Cutoff:o})")]
    public static partial void RowRemoved(ILogger logger, string path, string status, DateTime lastActivity, DateTimeOffset cutoff);

    [LoggerMessage(1105, LogLevel.Warning, "ZooKeeper clustering could not remove the defunct row {Path}: {Reason}")]
    public static partial void RowNotRemoved(ILogger logger, string path, string reason);

    [LoggerMessage(1106, LogLevel.Information, "ZooKeeper clustering deleted the membership rows of cluster '{ClusterId}' ({Count} rows) under {TablePath}")]
    public static partial void EntriesDeleted(ILogger logger, string clusterId, int count, string tablePath);

    [LoggerMessage(1107, LogLevel.Warning, "ZooKeeper clustering re-created the missing heartbeat node {Path}")]
    public static partial void HeartbeatRecreated(ILogger logger, string path);
}
