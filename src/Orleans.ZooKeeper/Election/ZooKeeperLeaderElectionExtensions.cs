using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Leader elections on ZooKeeper containers, in silos and from code.</summary>
public static class ZooKeeperLeaderElectionExtensions
{
    /// <summary>
    /// Adds a leader election for <paramref name="scope"/> on the container <paramref name="containerName"/> (register
    /// the container with <c>AddZooKeeperContainer</c>). The silo joins when it becomes active and steps down first
    /// thing when it shuts down. Resolve it with
    /// <c>services.GetRequiredKeyedService&lt;ZooKeeperLeaderElection&gt;(ZooKeeperLeaderElection.ServiceKey("main", "jobs"))</c>.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="containerName">The container to run on.</param>
    /// <param name="scope">The election's scope (one znode name); distinct scopes elect independently.</param>
    /// <param name="streamProviderName">The stream provider to announce LEADER!/FOLLOWER! on; null for in process only.</param>
    /// <param name="configure">More options.</param>
    public static ISiloBuilder AddZooKeeperLeaderElection(this ISiloBuilder builder, string containerName, string scope, string? streamProviderName = null, Action<ZooKeeperLeaderElectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(containerName);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        var key = ZooKeeperLeaderElection.ServiceKey(containerName, scope);
        builder.Services.AddOptions<ZooKeeperLeaderElectionOptions>(key).Configure(options =>
        {
            options.StreamProviderName = streamProviderName ?? options.StreamProviderName;
            configure?.Invoke(options);
        });
        builder.Services.AddKeyedSingleton(key, (sp, _) => new ZooKeeperLeaderElection(
            sp.GetRequiredService<ZooKeeperContainers>().Get(containerName),
            scope,
            sp.GetRequiredService<IOptionsMonitor<ZooKeeperLeaderElectionOptions>>().Get(key),
            sp.GetRequiredService<ILoggerFactory>(),
            sp));
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredKeyedService<ZooKeeperLeaderElection>(key));
        return builder;
    }

    /// <summary>
    /// A leader election for <paramref name="scope"/> on this container, not started: call
    /// <see cref="ZooKeeperLeaderElection.StartAsync"/>, and dispose it to leave. (In a silo prefer
    /// <see cref="AddZooKeeperLeaderElection"/>, which also announces on a stream.)
    /// </summary>
    public static ZooKeeperLeaderElection CreateLeaderElection(this ZooKeeperContainer container, string scope, ZooKeeperLeaderElectionOptions? options = null, ILoggerFactory? loggerFactory = null)
        => new(container, scope, options ?? new ZooKeeperLeaderElectionOptions(), loggerFactory, null);
}
