using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// The gateways for clients: every Active silo of the table with a proxy (gateway) port, read afresh (consistent
/// snapshot) on every call. Orleans calls it every <see cref="GatewayOptions.GatewayListRefreshPeriod"/>
/// (<see cref="MaxStaleness"/>); when ZooKeeper cannot be reached the call fails and the client keeps its last list.
/// </summary>
internal sealed class ZooKeeperGatewayListProvider(ZooKeeperMembershipTable table, IOptions<GatewayOptions> gatewayOptions) : IGatewayListProvider
{
    public TimeSpan MaxStaleness { get; } = gatewayOptions.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync(CancellationToken.None);

    /// <summary>Connects (resolving the target: configuration errors surface here on a client).</summary>
    public Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken) => table.InitializeMembershipTableAsync(false, cancellationToken);

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(CancellationToken.None);

    /// <summary>The gateway URIs of the Active silos that have a gateway.</summary>
    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken)
    {
        var snapshot = await table.ReadSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.Rows
            .Select(r => r.Entry)
            .Where(e => e.Status == SiloStatus.Active && e.ProxyPort != 0)
            .Select(e => SiloAddress.New(e.SiloAddress.Endpoint.Address, e.ProxyPort, e.SiloAddress.Generation).ToGatewayUri())
            .ToList();
    }
}
