using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// The provider's log events, one per outcome, with Orleans' storage fields (ServiceId, ProviderName, GrainType,
/// GrainId, ETag) as structured values, plus the state name and node. Reads, writes and clears are logged at Trace.
/// Neither data nor credentials are ever logged.
/// </summary>
internal static partial class StorageLog
{
    [LoggerMessage(1000, LogLevel.Information, "ZooKeeper grain storage '{ProviderName}' stores under {Root} through container '{Container}' (reads the version-1 layout too: {LegacyReads}; state expiry: {StateExpiry})")]
    public static partial void Started(ILogger logger, string providerName, string root, string container, bool legacyReads, string stateExpiry);

    [LoggerMessage(1001, LogLevel.Warning, "ZooKeeper grain storage failed ({Operation}): ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path}")]
    public static partial void Failed(ILogger logger, Exception exception, string operation, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path);

    [LoggerMessage(1002, LogLevel.Debug, "ZooKeeper grain storage '{ProviderName}': re-created the missing incarnation guard of {Path}")]
    public static partial void GuardRepaired(ILogger logger, string providerName, string path);

    [LoggerMessage(1003, LogLevel.Warning, "ZooKeeper grain storage '{ProviderName}': could not create the incarnation guard {Path}; the next conditional write repairs it")]
    public static partial void GuardFailed(ILogger logger, Exception exception, string providerName, string path);

    [LoggerMessage(1004, LogLevel.Debug, "Version conflict ({Operation}): ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path} StoredETag={StoredETag}")]
    public static partial void Conflict(ILogger logger, string operation, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path, string? storedETag);

    [LoggerMessage(1005, LogLevel.Trace, "Read grain state: ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path}")]
    public static partial void Read(ILogger logger, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path);

    [LoggerMessage(1006, LogLevel.Trace, "No grain state stored (default state): ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path}")]
    public static partial void NotFound(ILogger logger, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path);

    [LoggerMessage(1007, LogLevel.Trace, "Wrote grain state: ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path}")]
    public static partial void Wrote(ILogger logger, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path);

    [LoggerMessage(1008, LogLevel.Trace, "Cleared grain state: ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} ETag={ETag} StateName={StateName} Path={Path}")]
    public static partial void Cleared(ILogger logger, string serviceId, string providerName, GrainType grainType, GrainId grainId, string? etag, string stateName, string path);

    [LoggerMessage(1009, LogLevel.Information, "Moved grain state from the version-1 layout: ServiceId={ServiceId} ProviderName={ProviderName} GrainType={GrainType} GrainId={GrainId} StateName={StateName} From={LegacyPath} To={Path}")]
    public static partial void Moved(ILogger logger, string serviceId, string providerName, GrainType grainType, GrainId grainId, string stateName, string legacyPath, string path);

    [LoggerMessage(1010, LogLevel.Warning, "ZooKeeper grain storage '{ProviderName}' cannot list {Root}, so it cannot tell whether states from version 1 are there; its reads look at both layouts")]
    public static partial void LayoutUnknown(ILogger logger, Exception exception, string providerName, string root);
}
