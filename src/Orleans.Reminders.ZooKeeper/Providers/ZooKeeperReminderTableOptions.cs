namespace Orleans.Configuration;

/// <summary>
/// Settings of the ZooKeeper reminder table. The target is resolved exactly as for a ZooKeeper container (see
/// <see cref="ZooKeeperProviderContainerOptions"/>); the rows live in <c>{container path}/{ServiceId}/reminders</c>.
/// </summary>
public sealed class ZooKeeperReminderTableOptions : ZooKeeperProviderContainerOptions
{
    /// <summary>How many rows one <c>multiRead</c> of a range read asks for (default 200; 1 to 2,000).</summary>
    public int ReadBatchSize { get; set; } = 200;
}
