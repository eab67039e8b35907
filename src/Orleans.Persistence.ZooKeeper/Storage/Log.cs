using Microsoft.Extensions.Logging;

namespace Orleans.Persistence.ZooKeeper;

internal static partial class StorageLog
{
    [LoggerMessage(200, LogLevel.Information, "ZooKeeper grain storage '{Provider}' stores under {Root} through container '{Container}'")]
    public static partial void Started(ILogger logger, string provider, string root, string container);

    [LoggerMessage(201, LogLevel.Warning, "ZooKeeper grain storage '{Provider}': {Message}")]
    public static partial void Failed(ILogger logger, Exception exception, string provider, string message);

    [LoggerMessage(202, LogLevel.Debug, "ZooKeeper grain storage '{Provider}': re-created the missing incarnation guard of {Path}")]
    public static partial void GuardRepaired(ILogger logger, string provider, string path);
}
