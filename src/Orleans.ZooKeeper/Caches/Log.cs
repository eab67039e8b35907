using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Caches;

internal static partial class CacheLog
{
    [LoggerMessage(400, LogLevel.Debug, "ZooKeeper cache {Path}: initial snapshot of {Count} nodes")]
    public static partial void Initialized(ILogger logger, string path, int count);

    [LoggerMessage(401, LogLevel.Information, "ZooKeeper cache {Path} resynchronized ({Reason}): {Added} added, {Updated} updated, {Removed} removed while away")]
    public static partial void Resynced(ILogger logger, string path, string reason, int added, int updated, int removed);

    [LoggerMessage(402, LogLevel.Debug, "ZooKeeper cache {Path}: reading failed; resynchronizing once connected")]
    public static partial void ReadFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(403, LogLevel.Warning, "ZooKeeper cache {Path}: an event handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(404, LogLevel.Error, "ZooKeeper cache {Path}: processing failed; resynchronizing")]
    public static partial void Failed(ILogger logger, Exception exception, string path);
}
