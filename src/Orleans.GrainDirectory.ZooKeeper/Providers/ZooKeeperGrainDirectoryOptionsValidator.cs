using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.GrainDirectory.ZooKeeper;

/// <summary>Fails silo startup on settings that cannot work, naming the directory, the option and the value.</summary>
internal sealed class ZooKeeperGrainDirectoryOptionsValidator(ZooKeeperGrainDirectoryOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var prefix = $"Invalid configuration for ZooKeeper grain directory '{name}': ";
        options.ValidateContainerSettings(prefix);
        if (options.UnregisterBatchSize is < 1 or > 1000)
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.UnregisterBatchSize)} must be from 1 to 1000 (got {options.UnregisterBatchSize}).");
        }
    }
}
