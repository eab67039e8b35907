using System.Collections.Concurrent;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Orleans.ZooKeeper.Tests;

public interface IStateRecorderGrain : IGrainWithStringKey
{
    Task<List<ZooKeeperContainerStateChanged>> GetStates();
}

/// <summary>Subscribes implicitly to every container's state stream (key = container name) and records what it gets.</summary>
[ImplicitStreamSubscription(ZooKeeperContainerStates.StreamNamespace)]
public sealed class StateRecorderGrain : Grain, IStateRecorderGrain, IStreamSubscriptionObserver, IAsyncObserver<ZooKeeperContainerStateChanged>
{
    private readonly List<ZooKeeperContainerStateChanged> _states = [];

    public Task<List<ZooKeeperContainerStateChanged>> GetStates() => Task.FromResult(_states.ToList());

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => await handleFactory.Create<ZooKeeperContainerStateChanged>().ResumeAsync(this);

    public Task OnNextAsync(ZooKeeperContainerStateChanged item, StreamSequenceToken? token = null)
    {
        _states.Add(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

/// <summary>Records states received by an external cluster client.</summary>
public sealed class ClientStateRecorder : IAsyncObserver<ZooKeeperContainerStateChanged>
{
    public ConcurrentQueue<ZooKeeperContainerStateChanged> States { get; } = new();

    public Task OnNextAsync(ZooKeeperContainerStateChanged item, StreamSequenceToken? token = null)
    {
        States.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
