namespace Orleans.Configuration;

/// <summary>
/// Settings of the ZooKeeper clustering provider (silo membership table and client gateway list). The target is
/// resolved exactly as for a ZooKeeper container: <see cref="ContainerName"/> shares a registered container's session;
/// otherwise the provider runs a container of its own from <see cref="Url"/>, the <see cref="ConfigurationSection"/>
/// and the <c>ASAB_ZOOKEEPER_SERVERS</c> environment variable. The table lives in
/// <c>{container path}/{ClusterId}</c>.
/// </summary>
public sealed class ZooKeeperClusteringOptions
{
    /// <summary>
    /// The name of a <c>ZooKeeperContainer</c> registered with <c>AddZooKeeperContainer</c> to keep the table through
    /// (its session is shared). Null: the provider runs a container of its own.
    /// </summary>
    public string? ContainerName { get; set; }

    /// <summary>
    /// The own container's URL: <c>zookeeper://h1:2181,h2:2181/path</c>, <c>zookeeper:///path</c> or
    /// <c>zookeeper:./relative</c>. Null: servers and path from the configuration section and the environment.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The own container's configuration section (keys <c>servers</c>, <c>path</c>, <c>session_timeout</c>, <c>username</c>, <c>password</c>, <c>tls*</c>).</summary>
    public string ConfigurationSection { get; set; } = "zookeeper";

    /// <summary>Digest user of the own container; the membership nodes then get an ACL that admits only it.</summary>
    public string? Username { get; set; }

    /// <summary>Digest password of the own container. Never logged (redacted in the options log).</summary>
    [Redact]
    public string? Password { get; set; }

    /// <summary>
    /// How many times a read retries when the table changed while it was being read (every attempt is a consistent
    /// snapshot or is thrown away). Default 20.
    /// </summary>
    public int MaxReadAttempts { get; set; } = 20;
}
