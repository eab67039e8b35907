using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Election;

internal static partial class ElectionLog
{
    [LoggerMessage(200, LogLevel.Information, "ZooKeeper election {Path}: {Participant} is LEADER (fencing token {Token})")]
    public static partial void Leader(ILogger logger, string path, string participant, long token);

    [LoggerMessage(201, LogLevel.Information, "ZooKeeper election {Path}: {Participant} is FOLLOWER ({Reason})")]
    public static partial void Follower(ILogger logger, string path, string participant, string reason);

    [LoggerMessage(202, LogLevel.Debug, "ZooKeeper election {Path}: a round failed transiently; trying again")]
    public static partial void Transient(ILogger logger, Exception exception, string path);

    [LoggerMessage(203, LogLevel.Error, "ZooKeeper election {Path}: a round failed; trying again")]
    public static partial void RoundFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(204, LogLevel.Warning, "ZooKeeper election {Path}: a state-change handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(206, LogLevel.Debug, "ZooKeeper election {Path}: {Participant}'s term with fencing token {Token} ended ({Reason})")]
    public static partial void TermEnded(ILogger logger, string path, string participant, long token, string reason);

    [LoggerMessage(205, LogLevel.Warning, "ZooKeeper election {Path}: could not publish {Name} on stream provider '{Provider}'")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string path, string name, string provider);
}
