using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Orleans.ZooKeeper;

/// <summary>
/// Publishes a container's states on an Orleans stream (namespace <see cref="ZooKeeperContainerStates.StreamNamespace"/>,
/// key = container name). A silo lifecycle participant of its own, which the container subscribes only when
/// <see cref="ZooKeeperContainerOptions.StreamProviderName"/> names a provider: it checks that provider before the
/// container connects, and at Active attaches the stream to the container's announcer, which kept every state from
/// the container's first one: those are published before the Active stage completes, the rest as they come, until the
/// silo starts shutting down (its messaging is going away then; later states, such as the LOST on close, are raised
/// in process only).
/// </summary>
internal sealed class ZooKeeperContainerStatePublisher : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ZooKeeperContainer _container;
    private readonly string _providerName;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;

    public ZooKeeperContainerStatePublisher(ZooKeeperContainer container, string providerName, IServiceProvider services, ILogger logger)
    {
        _container = container;
        _providerName = providerName;
        _services = services;
        _logger = logger;
    }

    /// <summary>The lifecycle observer name of the publishing stage.</summary>
    public static string ObserverName(string container) => $"{nameof(ZooKeeperContainer)}.{container}.state";

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(ObserverName(_container.Name) + ".check", ServiceLifecycleStage.RuntimeInitialize - 1, CheckProviderAsync, static _ => Task.CompletedTask);
        lifecycle.Subscribe(ObserverName(_container.Name), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    /// <summary>Fails startup, before the container connects, when the named stream provider is not registered.</summary>
    private Task CheckProviderAsync(CancellationToken cancellationToken)
        => _services.GetKeyedService<IStreamProvider>(_providerName) is null
            ? throw Announcer<ZooKeeperContainerStateChanged>.NoSuchStreamProvider($"ZooKeeper container '{_container.Name}'", _providerName, "ZooKeeperContainerOptions.StreamProviderName")
            : Task.CompletedTask;

    /// <summary>Publishes the states seen so far (the silo becomes Active after them), then the rest as they come.</summary>
    private Task StartAsync(CancellationToken cancellationToken)
    {
        var stream = _services.GetRequiredKeyedService<IStreamProvider>(_providerName)
            .GetStream<ZooKeeperContainerStateChanged>(ZooKeeperContainerStates.StreamIdFor(_container.Name));
        return _container.Announcer.AttachStreamAsync(stream, (ex, change) => ContainerLog.PublishFailed(_logger, ex, _container.Name, change.Name, _providerName));
    }

    /// <summary>Stops publishing; waits for a publication in flight as long as the silo's stop allows.</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _container.Announcer.DetachStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ContainerLog.PublisherAbandoned(_logger, _container.Name, _providerName);
        }
    }
}
