using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>Fails silo startup on settings that cannot work.</summary>
internal sealed class ZooKeeperGrainStorageOptionsValidator(ZooKeeperGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var prefix = $"Invalid configuration for ZooKeeper grain storage '{name}': ";
        ZooKeeperContainerSource.Validate(prefix, options);

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
