using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Locks;

internal static partial class LockLog
{
    [LoggerMessage(300, LogLevel.Debug, "ZooKeeper lease {Path} acquired (fencing token {Token}, session 0x{SessionId:x})")]
    public static partial void Acquired(ILogger logger, string path, long token, long sessionId);

    [LoggerMessage(301, LogLevel.Warning, "ZooKeeper lease {Path} (fencing token {Token}) was lost: {Reason}")]
    public static partial void Lost(ILogger logger, string path, long token, string reason);

    [LoggerMessage(302, LogLevel.Debug, "ZooKeeper lease {Path} (fencing token {Token}) released")]
    public static partial void Released(ILogger logger, string path, long token);

    [LoggerMessage(304, LogLevel.Debug, "Waiting for ZooKeeper lock {Path} failed transiently; trying again")]
    public static partial void Transient(ILogger logger, Exception exception, string path);
}
