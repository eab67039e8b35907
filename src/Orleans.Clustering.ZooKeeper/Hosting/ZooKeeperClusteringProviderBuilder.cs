using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;

[assembly: RegisterProvider("ZooKeeper", "Clustering", "Silo", typeof(ZooKeeperClusteringProviderBuilder))]
[assembly: RegisterProvider("ZooKeeper", "Clustering", "Client", typeof(ZooKeeperClusteringProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>Orleans:Clustering:ProviderType = ZooKeeper</c> set clustering up from configuration alone, on silos and
/// clients; the keys next to it bind to <see cref="ZooKeeperClusteringOptions"/> (ContainerName, Url,
/// ConfigurationSection, Username, Password, MaxReadAttempts).
/// </summary>
internal sealed class ZooKeeperClusteringProviderBuilder : IProviderBuilder<ISiloBuilder>, IProviderBuilder<IClientBuilder>
{
    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
        => builder.UseZooKeeperClustering(ob => Bind(ob, configurationSection));

    public void Configure(IClientBuilder builder, string? name, IConfigurationSection configurationSection)
        => builder.UseZooKeeperClustering(ob => Bind(ob, configurationSection));

    private static void Bind(OptionsBuilder<ZooKeeperClusteringOptions> optionsBuilder, IConfigurationSection section)
        => optionsBuilder.Bind(section, o => o.ErrorOnUnknownConfiguration = false);
}
