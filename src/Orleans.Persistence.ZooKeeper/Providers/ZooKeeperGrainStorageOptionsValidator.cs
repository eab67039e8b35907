using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>Fails silo startup on settings that cannot work.</summary>
internal sealed class ZooKeeperGrainStorageOptionsValidator(ZooKeeperGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var prefix = $"Invalid configuration for ZooKeeper grain storage '{name}': ";
        if (options.ContainerName is not null && (options.Url is not null || options.Username is not null || options.Password is not null))
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.ContainerName)} ('{options.ContainerName}') names an existing container; {nameof(options.Url)}, {nameof(options.Username)} and {nameof(options.Password)} belong to a container of the provider's own and must not be set with it.");
        }

        if (options.ContainerName is { Length: 0 })
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.ContainerName)} is empty.");
        }

        if ((options.Username is null) != (options.Password is null))
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.Username)} and {nameof(options.Password)} go together; only one is set.");
        }

        if (options.MaxStateSize is <= 0)
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.MaxStateSize)} must be positive (got {options.MaxStateSize}).");
        }

        if (options.GrainStorageSerializer is null)
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.GrainStorageSerializer)} is not set.");
        }
    }
}
