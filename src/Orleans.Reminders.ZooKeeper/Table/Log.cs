using Microsoft.Extensions.Logging;

namespace Orleans.Reminders.ZooKeeper;

internal static partial class ReminderLog
{
    [LoggerMessage(1200, LogLevel.Information, "ZooKeeper reminder table for service '{ServiceId}' keeps its rows in {Root} through container '{Container}'")]
    public static partial void Started(ILogger logger, string serviceId, string root, string container);

    [LoggerMessage(1201, LogLevel.Warning, "ZooKeeper reminder table failed ({Operation}): GrainId={GrainId} ReminderName={ReminderName} Path={Path}")]
    public static partial void Failed(ILogger logger, Exception exception, string operation, string? grainId, string? reminderName, string? path);

    [LoggerMessage(1202, LogLevel.Debug, "ZooKeeper reminder table: {Operation} of {Path} raced another writer; trying again (attempt {Attempt})")]
    public static partial void Raced(ILogger logger, string operation, string path, int attempt);

    [LoggerMessage(1203, LogLevel.Debug, "ZooKeeper reminder table: upserted {Path} (ETag {ETag})")]
    public static partial void Upserted(ILogger logger, string path, string etag);

    [LoggerMessage(1204, LogLevel.Debug, "ZooKeeper reminder table: remove of {Path} with ETag {ETag}: {Removed}")]
    public static partial void Removed(ILogger logger, string path, string etag, bool removed);

    [LoggerMessage(1205, LogLevel.Debug, "ZooKeeper reminder table: range ({Begin:X8}, {End:X8}] read {Rows} row(s) from {Buckets} bucket(s)")]
    public static partial void RangeRead(ILogger logger, uint begin, uint end, int rows, int buckets);
}
