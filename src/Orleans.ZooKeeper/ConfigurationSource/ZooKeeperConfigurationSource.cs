using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>How node data becomes configuration values (see <see cref="ZooKeeperConfigurationSource"/>).</summary>
public enum ZooKeeperConfigurationValueFormat
{
    /// <summary>Data starting with <c>{</c> or <c>[</c> (after white space) is JSON, anything else is a plain text value (the default).</summary>
    Auto,

    /// <summary>Every non-empty node holds JSON: an object or array is flattened below the node's key, a scalar is the node's value.</summary>
    Json,

    /// <summary>Every node holds a plain UTF-8 text value.</summary>
    Text,
}

/// <summary>
/// Configuration read from a ZooKeeper subtree: <c>builder.Configuration.AddZooKeeper("zookeeper:///config/app")</c>.
/// </summary>
/// <remarks>
/// <para><b>Where.</b> The URL, the configuration section (default <c>zookeeper</c>, read from the configuration
/// sources added before this one) and <c>ASAB_ZOOKEEPER_SERVERS</c> give servers, path and credentials by exactly the
/// container rules (<see cref="ZooKeeperTargetResolver"/>). The provider has a session of its own (configuration is
/// built before any silo or container exists).</para>
/// <para><b>Keys.</b> The path is the root; every node below it is a key made of its path below the root with ':' for
/// '/': <c>/config/app/Logging/LogLevel/Default</c> holding <c>Warning</c> is <c>Logging:LogLevel:Default=Warning</c>.
/// A node holding a JSON object or array (see <see cref="ValueFormat"/>) contributes its flattened members below its
/// own key, as the JSON file provider does (arrays by index): <c>/config/app/Database</c> holding
/// <c>{"Host":"db1","Port":5432}</c> gives <c>Database:Host</c> and <c>Database:Port</c>; JSON in the root node gives
/// top-level keys. A node with children and no data only groups them; an empty leaf is the empty string. Data is UTF-8.
/// Keys are case-insensitive: two nodes (or a node and a JSON member) that give the same key are an error.</para>
/// <para><b>Errors.</b> Data that is not UTF-8 or not valid JSON, a plain value in the root node, a duplicate key, a
/// node this session may not read, and — unless <see cref="Optional"/> — a missing root or no connection within
/// <see cref="StartupTimeout"/> fail the first load with a <see cref="ZooKeeperConfigurationException"/> naming the
/// node (never its data, which may be secret). After that, a reload that fails keeps the last good configuration and
/// reports the error to <see cref="OnReloadError"/> and the log.</para>
/// <para><b>Reload.</b> With <see cref="ReloadOnChange"/> (the default) a <see cref="ZooKeeperTreeCache"/> watches the
/// subtree, and every change (also one found by a resync after a reconnect or a session expiry) reloads the
/// configuration, so <c>IOptionsMonitor</c> and reload tokens see it.</para>
/// </remarks>
public sealed class ZooKeeperConfigurationSource : IConfigurationSource
{
    /// <summary>The URL (<c>zookeeper://h1:2181/config/app</c>, <c>zookeeper:///config/app</c>, <c>zookeeper:./app</c>); null: the section's path.</summary>
    public string? Url { get; set; }

    /// <summary>The configuration section with servers, path, timeouts, credentials and TLS keys; default <c>zookeeper</c>.</summary>
    public string ConfigurationSection { get; set; } = ZooKeeperTargetResolver.DefaultSectionName;

    /// <summary>False (default): a missing root node or no connection within <see cref="StartupTimeout"/> fails the load. True: either gives empty configuration, filled in when it appears.</summary>
    public bool Optional { get; set; }

    /// <summary>Reload when the subtree changes (default true).</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>How long the first load waits for the connection and the initial read (default 30 s).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How node data becomes values (default <see cref="ZooKeeperConfigurationValueFormat.Auto"/>).</summary>
    public ZooKeeperConfigurationValueFormat ValueFormat { get; set; } = ZooKeeperConfigurationValueFormat.Auto;

    /// <summary>Adjusts the session's client options after they were built from the resolved target.</summary>
    public Action<ZooKeeperClientOptions>? ConfigureClient { get; set; }

    /// <summary>Called when a reload fails (the previous configuration stays).</summary>
    public Action<Exception>? OnReloadError { get; set; }

    /// <summary>Logging for reload failures and the session (null: none).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <inheritdoc/>
    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var target = ZooKeeperTargetResolver.Resolve(Url, builder as IConfiguration ?? BuildPreceding(builder), ConfigurationSection);
        return new ZooKeeperConfigurationProvider(this, target);
    }

    /// <summary>The configuration of the sources added before this one (for the section with the servers).</summary>
    private IConfiguration BuildPreceding(IConfigurationBuilder builder)
    {
        var preceding = new ConfigurationBuilder();
        foreach (var source in builder.Sources)
        {
            if (ReferenceEquals(source, this))
            {
                break;
            }

            preceding.Add(source);
        }

        return preceding.Build();
    }
}
