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
    /// Adds one health check per ZooKeeper container — the named ones and those grain storage or clustering run for
    /// themselves — named <c>zookeeper:{container}</c> and tagged <see cref="Tag"/>. Containers registered before or
    /// after this call are all covered.
    /// </summary>
    public static IHealthChecksBuilder AddZooKeeperHealthChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IServiceProvider>(static (options, services) =>
        {
            foreach (var declared in services.GetServices<ZooKeeperContainerDeclaration>().DistinctBy(d => d.ContainerName))
            {
                var name = "zookeeper:" + declared.ContainerName;
                if (options.Registrations.Any(r => r.Name == name) || declared.Applies?.Invoke(services) == false)
                {
                    continue;
                }

                options.Registrations.Add(new HealthCheckRegistration(
                    name,
                    sp => declared.Resolve(sp) is { } container
                        ? new ZooKeeperContainerHealthCheck(container)
                        : new NotStartedHealthCheck(declared.ContainerName),
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

/// <summary>
/// Declares a container a component runs (named containers, grain storage's own, clustering's own), so host-wide
/// features such as <see cref="ZooKeeperHealthCheckExtensions.AddZooKeeperHealthChecks(IHealthChecksBuilder)"/> find it.
/// </summary>
/// <param name="ContainerName">The container's name.</param>
/// <param name="Resolve">Gets the container from the host's services; null while the component has not created it yet.</param>
/// <param name="Applies">
/// False when the component turns out not to run a container of its own (e.g. storage that uses a named container,
/// which is declared by itself); null means always.
/// </param>
public sealed record ZooKeeperContainerDeclaration(string ContainerName, Func<IServiceProvider, ZooKeeperContainer?> Resolve, Func<IServiceProvider, bool>? Applies = null);

/// <summary>A declared container that does not exist yet (its component has not started): Unhealthy.</summary>
internal sealed class NotStartedHealthCheck(string containerName) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(new HealthCheckResult(
            context.Registration?.FailureStatus ?? HealthStatus.Unhealthy,
            $"ZooKeeper container '{containerName}' has not been started yet"));
}
