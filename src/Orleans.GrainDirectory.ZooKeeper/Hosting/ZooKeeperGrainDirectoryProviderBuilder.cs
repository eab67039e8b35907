using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.Hosting;
using Orleans.Providers;

[assembly: RegisterProvider("ZooKeeper", "GrainDirectory", "Silo", typeof(ZooKeeperGrainDirectoryProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>Orleans:GrainDirectory:{name}:ProviderType = ZooKeeper</c> set a directory up from configuration; the keys
/// next to it bind to <c>ZooKeeperGrainDirectoryOptions</c> (ContainerName, Url, ConfigurationSection, Username,
/// Password, UnregisterBatchSize).
/// </summary>
internal sealed class ZooKeeperGrainDirectoryProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
        => builder.AddZooKeeperGrainDirectory(
            name ?? GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY,
            (OptionsBuilder<ZooKeeperGrainDirectoryOptions> options) => options.Bind(configurationSection, o => o.ErrorOnUnknownConfiguration = false));
}
