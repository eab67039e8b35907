using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Reminders.ZooKeeper;

/// <summary>Fails silo startup on settings that cannot work, naming the option and the value.</summary>
internal sealed class ZooKeeperReminderTableOptionsValidator(ZooKeeperReminderTableOptions options) : IConfigurationValidator
{
    public const string Prefix = "Invalid configuration for the ZooKeeper reminder table: ";

    public void ValidateConfiguration()
    {
        options.ValidateContainerSettings(Prefix);
        if (options.ReadBatchSize is < 1 or > 2000)
        {
            throw new OrleansConfigurationException(Prefix + $"{nameof(options.ReadBatchSize)} must be from 1 to 2000 (got {options.ReadBatchSize}).");
        }
    }
}
