using System.Diagnostics;
using System.Diagnostics.Metrics;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// The storage's instruments and activity source. Every call checks <c>Enabled</c>/<c>HasListeners</c> first, so
/// with nobody listening nothing is timed, allocated or recorded. Tag values are constant strings.
/// </summary>
internal static class StorageTelemetry
{
    public const string OperationTag = "zookeeper.storage.operation";
    public const string OutcomeTag = "zookeeper.storage.outcome";
    public const string ProviderTag = "zookeeper.storage.provider";

    private static readonly string? Version = typeof(StorageTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly Meter Meter = new(ZooKeeperGrainStorageDiagnostics.MeterName, Version);

    public static readonly ActivitySource Source = new(ZooKeeperGrainStorageDiagnostics.ActivitySourceName, Version);

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "zookeeper.storage.operation.duration", "s", "Time a grain storage call took, by operation (read, write, clear), outcome (ok, not_found, conflict, error) and provider.");

    public static readonly Counter<long> Conflicts = Meter.CreateCounter<long>(
        "zookeeper.storage.conflicts", "{conflict}", "Storage calls refused because the ETag did not match the stored state (InconsistentStateException), by operation and provider.");

    public static readonly Histogram<long> StateSize = Meter.CreateHistogram<long>(
        "zookeeper.storage.state.size", "By", "Stored size of a state (format mark included, after compression), by operation (read, write) and provider.");

    public static readonly Counter<long> Migrations = Meter.CreateCounter<long>(
        "zookeeper.storage.migrations", "{state}", "States moved from the version-1 node layout to the current one, by provider.");

    /// <summary>Starts timing when anyone listens: the timestamp, or 0.</summary>
    public static long StartTimestamp() => Duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Starts a span for a storage call when anyone listens (it becomes current, so the client's spans nest under it).</summary>
    public static Activity? StartActivity(StorageOperation operation, string provider, GrainId grainId, string stateName, string path)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(operation.SpanName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "zookeeper");
            activity.SetTag(OperationTag, operation.Name);
            activity.SetTag(ProviderTag, provider);
            activity.SetTag("orleans.grain.type", grainId.Type.ToString());
            activity.SetTag("orleans.storage.state_name", stateName);
            activity.SetTag("zookeeper.path", path);
        }

        return activity;
    }

    /// <summary>Records the outcome of a call: duration, conflict count, span status.</summary>
    public static void Complete(Activity? activity, long start, StorageOperation operation, string provider, string outcome, Exception? error)
    {
        if (start != 0)
        {
            Duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, new(OperationTag, operation.Name), new(OutcomeTag, outcome), new(ProviderTag, provider));
        }

        if (outcome == Outcomes.Conflict && Conflicts.Enabled)
        {
            Conflicts.Add(1, new(OperationTag, operation.Name), new(ProviderTag, provider));
        }

        if (activity is not null)
        {
            activity.SetTag(OutcomeTag, outcome);
            if (error is not null)
            {
                activity.SetTag("error.type", error.GetType().FullName);
                activity.SetStatus(ActivityStatusCode.Error, outcome);
            }

            activity.Dispose();
        }
    }

    /// <summary>Records a stored state's size.</summary>
    public static void RecordSize(StorageOperation operation, string provider, int bytes)
    {
        if (StateSize.Enabled)
        {
            StateSize.Record(bytes, new(OperationTag, operation.Name), new(ProviderTag, provider));
        }
    }

    /// <summary>The outcome tag values.</summary>
    public static class Outcomes
    {
        public const string Ok = "ok";
        public const string NotFound = "not_found";
        public const string Conflict = "conflict";
        public const string Error = "error";
    }
}
