using Microsoft.Extensions.Logging;

namespace Orleans.GrainDirectory.ZooKeeper;

internal static partial class DirectoryLog
{
    [LoggerMessage(1300, LogLevel.Information, "ZooKeeper grain directory '{Directory}' of cluster '{ClusterId}' keeps its entries in {Root} through container '{Container}'")]
    public static partial void Started(ILogger logger, string directory, string clusterId, string root, string container);

    [LoggerMessage(1301, LogLevel.Warning, "ZooKeeper grain directory '{Directory}' failed ({Operation}): GrainId={GrainId} Path={Path}")]
    public static partial void Failed(ILogger logger, Exception exception, string directory, string operation, string? grainId, string? path);

    [LoggerMessage(1302, LogLevel.Debug, "ZooKeeper grain directory '{Directory}': {Operation} of {Path} raced another writer; trying again (attempt {Attempt})")]
    public static partial void Raced(ILogger logger, string directory, string operation, string path, int attempt);

    [LoggerMessage(1303, LogLevel.Debug, "ZooKeeper grain directory '{Directory}': {GrainId} not unregistered: activation {Activation} asked, {Registered} is registered")]
    public static partial void NotRemoved(ILogger logger, string directory, string grainId, string activation, string registered);

    [LoggerMessage(1304, LogLevel.Information, "ZooKeeper grain directory '{Directory}': removed {Removed} entr(y/ies) of silo {Silo} ({Indexed} index node(s))")]
    public static partial void SiloRemoved(ILogger logger, string directory, string silo, int removed, int indexed);
}
