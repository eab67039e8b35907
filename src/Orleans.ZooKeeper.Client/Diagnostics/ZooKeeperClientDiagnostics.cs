namespace Orleans.ZooKeeper.Client;

/// <summary>
/// Names of the client's <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/>, for OpenTelemetry (<c>AddMeter</c>, <c>AddSource</c>) or any
/// other listener. Nothing is measured or traced while nobody listens.
/// </summary>
public static class ZooKeeperClientDiagnostics
{
    /// <summary>The meter: <c>Orleans.ZooKeeper.Client</c>.</summary>
    public const string MeterName = "Orleans.ZooKeeper.Client";

    /// <summary>The activity source: <c>Orleans.ZooKeeper.Client</c> (one client span per operation).</summary>
    public const string ActivitySourceName = "Orleans.ZooKeeper.Client";
}
