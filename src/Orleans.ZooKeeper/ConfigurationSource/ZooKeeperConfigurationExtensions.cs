using Orleans.ZooKeeper;

namespace Microsoft.Extensions.Configuration;

/// <summary>Adds configuration from ZooKeeper (see <see cref="ZooKeeperConfigurationSource"/>).</summary>
public static class ZooKeeperConfigurationExtensions
{
    /// <summary>
    /// Adds the subtree at <paramref name="url"/> as configuration: <c>builder.Configuration.AddZooKeeper("zookeeper:///config/app")</c>
    /// (servers from the <c>zookeeper</c> section of the configuration added so far, or <c>ASAB_ZOOKEEPER_SERVERS</c>).
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="url">The URL; null for the section's path.</param>
    /// <param name="optional">Whether a missing root node (or no connection at startup) is fine.</param>
    /// <param name="reloadOnChange">Whether to reload when the subtree changes.</param>
    public static IConfigurationBuilder AddZooKeeper(this IConfigurationBuilder builder, string? url, bool optional = false, bool reloadOnChange = true)
        => builder.AddZooKeeper(source =>
        {
            source.Url = url;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
        });

    /// <summary>Adds configuration from ZooKeeper with every setting of <see cref="ZooKeeperConfigurationSource"/>.</summary>
    public static IConfigurationBuilder AddZooKeeper(this IConfigurationBuilder builder, Action<ZooKeeperConfigurationSource> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var source = new ZooKeeperConfigurationSource();
        configure(source);
        return builder.Add(source);
    }
}
