using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper;

internal static partial class ContainerLog
{
    [LoggerMessage(100, LogLevel.Information, "ZooKeeper container '{Container}' targets {Target}")]
    public static partial void Target(ILogger logger, string container, string target);

    [LoggerMessage(101, LogLevel.Information, "ZooKeeper container '{Container}' is {State}")]
    public static partial void State(ILogger logger, string container, string state);

    [LoggerMessage(102, LogLevel.Warning, "ZooKeeper container '{Container}' could not publish {State} on stream provider '{Provider}'")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string container, string state, string provider);

    [LoggerMessage(103, LogLevel.Warning, "ZooKeeper container '{Container}' could not ensure its path {Path}")]
    public static partial void EnsurePathFailed(ILogger logger, Exception exception, string container, string path);

    [LoggerMessage(104, LogLevel.Warning, "ZooKeeper container '{Container}' could not re-create advertisement {Path}")]
    public static partial void AdvertiseFailed(ILogger logger, Exception exception, string container, string path);

    [LoggerMessage(105, LogLevel.Warning, "ZooKeeper container '{Container}' stopped waiting for a state publication on stream provider '{Provider}': the silo's stop was cancelled")]
    public static partial void PublisherAbandoned(ILogger logger, string container, string provider);

    [LoggerMessage(106, LogLevel.Warning, "ZooKeeper container '{Container}': a state-change handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string container);
}
