using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// The health of one container's ZooKeeper session: Healthy when CONNECTED to a read-write server, Degraded when
/// SUSPENDED (the session may survive) or connected read-only, Unhealthy when LOST. The data carries the state, the
/// server, the session id and how long the container has been in that state.
/// </summary>
public sealed class ZooKeeperContainerHealthCheck : IHealthCheck
{
    private readonly ZooKeeperContainer _container;
    private readonly TimeProvider _time;

    /// <summary>Checks <paramref name="container"/>.</summary>
    public ZooKeeperContainerHealthCheck(ZooKeeperContainer container, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = _container.State;
        var since = _container.StateSince;
        var client = _container.Client;
        var readOnly = state == ZooKeeperContainerState.Connected && client.KeeperState == KeeperState.ConnectedReadOnly;
        var inState = _time.GetUtcNow() - since;
        var data = new Dictionary<string, object>
        {
            ["container"] = _container.Name,
            ["state"] = readOnly ? "CONNECTED (read-only)" : state.ToString().ToUpperInvariant(),
            ["server"] = client.CurrentServer ?? "(none)",
            ["sessionId"] = SessionIds.Format(client.SessionId),
            ["since"] = since,
            ["secondsInState"] = Math.Max(0, Math.Round(inState.TotalSeconds, 1)),
        };
        var inStateText = inState.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var result = state switch
        {
            ZooKeeperContainerState.Connected when readOnly => HealthCheckResult.Degraded(
                $"ZooKeeper container '{_container.Name}' is connected to read-only server {client.CurrentServer} (writes fail) for {inStateText} s", data: data),
            ZooKeeperContainerState.Connected => HealthCheckResult.Healthy(
                $"ZooKeeper container '{_container.Name}' is connected to {client.CurrentServer}", data),
            ZooKeeperContainerState.Suspended => HealthCheckResult.Degraded(
                $"ZooKeeper container '{_container.Name}' lost its connection {inStateText} s ago; its session may still be resumed", data: data),
            _ => new HealthCheckResult(
                context.Registration?.FailureStatus ?? HealthStatus.Unhealthy,
                $"ZooKeeper container '{_container.Name}' has no session (LOST for {inStateText} s)" + (client.LastConnectError is { } error ? $"; last connect attempt: {error.Message}" : string.Empty),
                data: data),
        };
        return Task.FromResult(result);
    }
}
