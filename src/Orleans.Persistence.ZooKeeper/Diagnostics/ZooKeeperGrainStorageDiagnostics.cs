namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Names of the grain storage's <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/>, for OpenTelemetry (<c>AddMeter</c>, <c>AddSource</c>) or any
/// other listener. Nothing is measured or traced while nobody listens.
/// </summary>
public static class ZooKeeperGrainStorageDiagnostics
{
    /// <summary>The meter: <c>Orleans.Persistence.ZooKeeper</c>.</summary>
    public const string MeterName = "Orleans.Persistence.ZooKeeper";

    /// <summary>The activity source: <c>Orleans.Persistence.ZooKeeper</c> (one span per storage call).</summary>
    public const string ActivitySourceName = "Orleans.Persistence.ZooKeeper";
}
