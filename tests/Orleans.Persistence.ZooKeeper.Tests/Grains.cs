using Orleans.Runtime;
using Orleans.Streams;

namespace Orleans.Persistence.ZooKeeper.Tests;

[GenerateSerializer]
public sealed class ProfileState
{
    [Id(0)]
    public string? Name { get; set; }

    [Id(1)]
    public int Writes { get; set; }

    [Id(2)]
    public List<string> History { get; set; } = [];
}

[GenerateSerializer]
public sealed class GenericState<T>
{
    [Id(0)]
    public T? Value { get; set; }

    [Id(1)]
    public int Writes { get; set; }
}

/// <summary>What a profile grain reports about its state.</summary>
[GenerateSerializer]
public sealed record ProfileSnapshot([property: Id(0)] ProfileState State, [property: Id(1)] string? ETag, [property: Id(2)] bool RecordExists, [property: Id(3)] string Silo);

public interface IProfileGrain : IGrain
{
    Task<ProfileSnapshot> Set(string name);

    Task<ProfileSnapshot> Get();

    Task Clear();
}

public interface IGuidProfileGrain : IProfileGrain, IGrainWithGuidKey;

public interface ILongProfileGrain : IProfileGrain, IGrainWithIntegerKey;

public interface IStringProfileGrain : IProfileGrain, IGrainWithStringKey;

public interface IGuidCompoundProfileGrain : IProfileGrain, IGrainWithGuidCompoundKey;

public interface ILongCompoundProfileGrain : IProfileGrain, IGrainWithIntegerCompoundKey;

/// <summary>Profile grains on the other providers: configured from IConfiguration only, through a named container, with credentials.</summary>
public interface IConfiguredProfileGrain : IProfileGrain, IGrainWithStringKey;

public interface IMarkedProfileGrain : IProfileGrain, IGrainWithStringKey;

public interface IContainerProfileGrain : IProfileGrain, IGrainWithStringKey;

public interface ISecureProfileGrain : IProfileGrain, IGrainWithStringKey;

/// <summary>A grain type whose node a test locks with someone else's ACL (no other test uses it).</summary>
public interface ILockedProfileGrain : IProfileGrain, IGrainWithStringKey;

public interface IGenericProfileGrain<T> : IGrainWithStringKey
{
    Task<string?> Set(T value);

    Task<GenericState<T>> Get();
}

public abstract class ProfileGrainBase(IPersistentState<ProfileState> profile) : Grain, IProfileGrain
{
    public async Task<ProfileSnapshot> Set(string name)
    {
        profile.State.Name = name;
        profile.State.Writes++;
        profile.State.History.Add(name);
        await profile.WriteStateAsync();
        return await Get();
    }

    public Task<ProfileSnapshot> Get() => Task.FromResult(new ProfileSnapshot(profile.State, profile.Etag, profile.RecordExists, RuntimeIdentity));

    public Task Clear() => profile.ClearStateAsync();
}

public sealed class GuidProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IGuidProfileGrain;

public sealed class LongProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), ILongProfileGrain;

public sealed class StringProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IStringProfileGrain;

public sealed class GuidCompoundProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IGuidCompoundProfileGrain;

public sealed class LongCompoundProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), ILongCompoundProfileGrain;

public sealed class LockedProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), ILockedProfileGrain;

public sealed class ConfiguredProfileGrain([PersistentState("profile", ClusterSetup.ConfiguredProvider)] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IConfiguredProfileGrain;

public sealed class MarkedProfileGrain([PersistentState("profile", ClusterSetup.MarkedProvider)] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IMarkedProfileGrain;

public sealed class ContainerProfileGrain([PersistentState("profile", ClusterSetup.ContainerProvider)] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), IContainerProfileGrain;

public sealed class SecureProfileGrain([PersistentState("profile", ClusterSetup.SecureProvider)] IPersistentState<ProfileState> profile) : ProfileGrainBase(profile), ISecureProfileGrain;

public sealed class GenericProfileGrain<T>([PersistentState("profile", "zookeeper")] IPersistentState<GenericState<T>> profile) : Grain, IGenericProfileGrain<T>
{
    public async Task<string?> Set(T value)
    {
        profile.State.Value = value;
        profile.State.Writes++;
        await profile.WriteStateAsync();
        return profile.Etag;
    }

    public Task<GenericState<T>> Get() => Task.FromResult(profile.State);
}

/// <summary>Subscribes explicitly (the subscription lives in PubSubStore) and records what arrives.</summary>
public interface IStreamConsumerGrain : IGrainWithStringKey
{
    Task Subscribe();

    Task<List<int>> Received();
}

public sealed class StreamConsumerGrain : Grain, IStreamConsumerGrain
{
    private readonly List<int> _received = [];

    private IAsyncStream<int> Stream => this.GetStreamProvider(ClusterSetup.StreamProvider).GetStream<int>(StreamId.Create(ClusterSetup.StreamNamespace, this.GetPrimaryKeyString()));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Re-attach to subscriptions made by earlier activations (read back from PubSubStore).
        foreach (var handle in await Stream.GetAllSubscriptionHandles())
        {
            await handle.ResumeAsync(OnNextAsync);
        }
    }

    public async Task Subscribe()
    {
        if ((await Stream.GetAllSubscriptionHandles()).Count == 0)
        {
            await Stream.SubscribeAsync(OnNextAsync);
        }
    }

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());

    private Task OnNextAsync(int item, StreamSequenceToken? token)
    {
        _received.Add(item);
        return Task.CompletedTask;
    }
}
