using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// Fails silo and client startup on settings that cannot work: option combinations, a cluster id that is no znode
/// name, and (for an own container) every target error a container would report, with the same
/// <see cref="ZooKeeperConfigurationException"/>.
/// </summary>
internal sealed class ZooKeeperClusteringOptionsValidator(ZooKeeperClusteringOptions options, ClusterOptions cluster, IConfiguration? configuration) : IConfigurationValidator
{
    public const string Prefix = "Invalid configuration for ZooKeeper clustering: ";

    public void ValidateConfiguration()
    {
        options.ValidateContainerSettings(Prefix);
        if (options.MaxReadAttempts < 1)
        {
            throw new OrleansConfigurationException(Prefix + $"{nameof(options.MaxReadAttempts)} must be at least 1 (got {options.MaxReadAttempts}).");
        }

        if (MembershipLayout.ClusterIdError(cluster.ClusterId) is { } error)
        {
            throw new OrleansConfigurationException(Prefix + error);
        }

        if (options.ContainerName is null)
        {
            // The same resolution (and the same errors) as the container the provider will run.
            _ = ZooKeeperTargetResolver.Resolve(options.Url, configuration, options.ConfigurationSection);
        }
    }
}
