using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.ZooKeeper;

namespace Orleans.Hosting;

/// <summary>Health checks for every ZooKeeper container of a host.</summary>
public static class ZooKeeperHealthCheckExtensions
{
    /// <summary>The tag every ZooKeeper health check carries.</summary>
    public const string Tag = "zookeeper";

    /// <summary>
    /// Adds one health check per ZooKeeper container the <see cref="ZooKeeperProviderHost"/> knows — the named ones
    /// and those providers (grain storage, clustering, …) run for themselves — named <c>zookeeper:{container}</c> and
    /// tagged <see cref="Tag"/>. Containers and providers registered before or after this call are all covered.
    /// </summary>
    public static IHealthChecksBuilder AddZooKeeperHealthChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperProviderHost();
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<ZooKeeperProviderHost>(static (options, host) =>
        {
            foreach (var containerName in host.ContainerNames)
            {
                var name = "zookeeper:" + containerName;
                if (options.Registrations.Any(r => r.Name == name))
                {
                    continue;
                }

                options.Registrations.Add(new HealthCheckRegistration(
                    name,
                    _ => host.Find(containerName) is { } container
                        ? new ZooKeeperContainerHealthCheck(container)
                        : new NotStartedHealthCheck(containerName),
                    failureStatus: null,
                    tags: [Tag]));
            }
        });
        return builder;
    }

    /// <summary>Adds health checks (<see cref="HealthCheckServiceCollectionExtensions.AddHealthChecks"/>) with one per ZooKeeper container.</summary>
    public static IServiceCollection AddZooKeeperHealthChecks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHealthChecks().AddZooKeeperHealthChecks();
        return services;
    }

    /// <summary>Adds health checks with one per ZooKeeper container of the silo.</summary>
    public static ISiloBuilder AddZooKeeperHealthChecks(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddZooKeeperHealthChecks();
        return builder;
    }
}

/// <summary>A provider's own container that does not exist yet (the provider has not connected): Unhealthy.</summary>
internal sealed class NotStartedHealthCheck(string containerName) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(new HealthCheckResult(
            context.Registration?.FailureStatus ?? HealthStatus.Unhealthy,
            $"ZooKeeper container '{containerName}' has not been started yet"));
}
