using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Orleans.ZooKeeper;

/// <summary>
/// Publishes a container's states on an Orleans stream (namespace <see cref="ZooKeeperContainerStates.StreamNamespace"/>,
/// key = container name). A silo lifecycle participant of its own, which the container subscribes only when
/// <see cref="ZooKeeperContainerOptions.StreamProviderName"/> names a provider: it checks that provider before the
/// container connects, takes every state from the container's first one on, and publishes them, in order — those seen
/// before the silo became Active before it completes that stage — until the silo starts shutting down (its messaging
/// is going away then; later states, such as the LOST on close, are raised in process only).
/// </summary>
internal sealed class ZooKeeperContainerStatePublisher : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ZooKeeperContainer _container;
    private readonly string _providerName;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelReader<ZooKeeperContainerStateChanged>? _changes;
    private Task? _loop;

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
        // Subscribed now, before the container connects: the states seen before Active are published first.
        _changes = _container.SubscribeStates();
        lifecycle.Subscribe(ObserverName(_container.Name) + ".check", ServiceLifecycleStage.RuntimeInitialize - 1, CheckProviderAsync, static _ => Task.CompletedTask);
        lifecycle.Subscribe(ObserverName(_container.Name), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    /// <summary>Fails startup, before the container connects, when the named stream provider is not registered.</summary>
    private Task CheckProviderAsync(CancellationToken cancellationToken)
    {
        if (_services.GetKeyedService<IStreamProvider>(_providerName) is null)
        {
            throw new InvalidOperationException(
                $"ZooKeeper container '{_container.Name}' publishes its state on the Orleans stream provider '{_providerName}', but no stream provider of that name is registered. " +
                $"Add one to the silo, e.g. siloBuilder.AddMemoryStreams(\"{_providerName}\") with a grain storage named \"PubSubStore\" (siloBuilder.AddMemoryGrainStorage(\"PubSubStore\")), " +
                "or leave ZooKeeperContainerOptions.StreamProviderName unset for in-process state events only.");
        }

        return Task.CompletedTask;
    }

    /// <summary>Publishes the states seen so far (the silo becomes Active after them), then the rest as they come.</summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var stream = _services.GetRequiredKeyedService<IStreamProvider>(_providerName)
            .GetStream<ZooKeeperContainerStateChanged>(ZooKeeperContainerStates.StreamIdFor(_container.Name));
        var changes = _changes ?? throw new InvalidOperationException("The publisher was not subscribed to the silo lifecycle.");
        while (changes.TryRead(out var change))
        {
            await PublishAsync(stream, change).ConfigureAwait(false);
        }

        _loop = Task.Run(() => PublishAllAsync(stream, changes, _stopping.Token), CancellationToken.None);
    }

    private async Task PublishAllAsync(IAsyncStream<ZooKeeperContainerStateChanged> stream, ChannelReader<ZooKeeperContainerStateChanged> changes, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in changes.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await PublishAsync(stream, change).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is shutting down.
        }
    }

    private async Task PublishAsync(IAsyncStream<ZooKeeperContainerStateChanged> stream, ZooKeeperContainerStateChanged change)
    {
        try
        {
            await stream.OnNextAsync(change).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            ContainerLog.PublishFailed(_logger, ex, _container.Name, change.Name, _providerName);
        }
    }

    /// <summary>Stops publishing; waits for a publication in flight as long as the silo's stop allows.</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                ContainerLog.PublisherAbandoned(_logger, _container.Name, _providerName);
            }
        }
    }
}
