namespace Orleans.Configuration;

/// <summary>
/// Settings of the ZooKeeper clustering provider (silo membership table and client gateway list). The target is
/// resolved exactly as for a ZooKeeper container (see <see cref="ZooKeeperProviderContainerOptions"/>). The table lives in
/// <c>{container path}/{ClusterId}</c>.
/// </summary>
public sealed class ZooKeeperClusteringOptions : ZooKeeperProviderContainerOptions
{
    /// <summary>
    /// How many times a read retries when the table changed while it was being read (every attempt is a consistent
    /// snapshot or is thrown away). Default 20.
    /// </summary>
    public int MaxReadAttempts { get; set; } = 20;
}
