namespace Orleans.Configuration;

/// <summary>
/// Where an Orleans provider on ZooKeeper (grain storage, clustering) keeps its nodes: the session of a container
/// registered with <c>AddZooKeeperContainer</c> (<see cref="ContainerName"/>), or a container of the provider's own,
/// resolved exactly as a registered one from <see cref="Url"/>, the <see cref="ConfigurationSection"/> and the
/// <c>ASAB_ZOOKEEPER_SERVERS</c> environment variable.
/// </summary>
public abstract class ZooKeeperProviderContainerOptions
{
    /// <summary>
    /// The name of a <c>ZooKeeperContainer</c> registered in the silo to work through (its session is shared). When
    /// null the provider runs a container of its own from <see cref="Url"/> / <see cref="ConfigurationSection"/> /
    /// the environment.
    /// </summary>
    public string? ContainerName { get; set; }

    /// <summary>
    /// The own container's URL: <c>zookeeper://h1:2181,h2:2181/path</c>, <c>zookeeper:///path</c> or
    /// <c>zookeeper:./relative</c> (see <c>ZooKeeperContainerOptions.Url</c>); used when <see cref="ContainerName"/> is null.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The own container's configuration section (keys <c>servers</c>, <c>path</c>, <c>session_timeout</c>, <c>username</c>, <c>password</c>, <c>tls*</c>).</summary>
    public string ConfigurationSection { get; set; } = "zookeeper";

    /// <summary>Digest user of the own container; the provider's nodes then get an ACL that admits only it.</summary>
    public string? Username { get; set; }

    /// <summary>Digest password of the own container. Never logged (redacted in the silo's options log).</summary>
    [Redact]
    public string? Password { get; set; }

    /// <summary>
    /// Checks that the settings fit together; throws <see cref="Runtime.OrleansConfigurationException"/> whose message
    /// starts with <paramref name="messagePrefix"/> and names the settings (never the password).
    /// </summary>
    public void ValidateContainerSettings(string messagePrefix)
    {
        if (ContainerName is not null && (Url is not null || Username is not null || Password is not null))
        {
            throw new Runtime.OrleansConfigurationException(messagePrefix + $"ContainerName ('{ContainerName}') names an existing container; Url, Username and Password belong to a container of the provider's own and must not be set with it.");
        }

        if (ContainerName is { Length: 0 })
        {
            throw new Runtime.OrleansConfigurationException(messagePrefix + "ContainerName is empty.");
        }

        if ((Username is null) != (Password is null))
        {
            throw new Runtime.OrleansConfigurationException(messagePrefix + "Username and Password go together; only one is set.");
        }
    }
}
