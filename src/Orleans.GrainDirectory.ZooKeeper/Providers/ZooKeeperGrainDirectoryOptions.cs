namespace Orleans.Configuration;

/// <summary>
/// Settings of a ZooKeeper grain directory. The target is resolved exactly as for a ZooKeeper container (see
/// <see cref="ZooKeeperProviderContainerOptions"/>); the entries live in <c>{container path}/{ClusterId}.directory/{name}</c>.
/// </summary>
public sealed class ZooKeeperGrainDirectoryOptions : ZooKeeperProviderContainerOptions
{
    /// <summary>How many entries one transaction of <c>UnregisterSilos</c> removes (default 200; 1 to 1,000).</summary>
    public int UnregisterBatchSize { get; set; } = 200;
}
