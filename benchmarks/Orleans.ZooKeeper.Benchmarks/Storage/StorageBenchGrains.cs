namespace Orleans.ZooKeeper.Benchmarks.Storage;

/// <summary>The benchmark grain's state: a counter and a 1 KB payload.</summary>
[GenerateSerializer]
public sealed class BenchState
{
    [Id(0)]
    public long Counter { get; set; }

    [Id(1)]
    public string Payload { get; set; } = string.Empty;
}

/// <summary>One read-modify-write of the grain's persistent state: one storage read, then one storage write.</summary>
public interface IStorageBenchGrain : IGrainWithIntegerKey
{
    /// <summary>ReadStateAsync, Counter++, Payload = 1 KB, WriteStateAsync; returns the new counter.</summary>
    Task<long> ReadModifyWriteAsync();
}

/// <summary>The benchmark grain on our ZooKeeper provider ("zookeeper").</summary>
public interface IZooKeeperBenchGrain : IStorageBenchGrain;

/// <summary>The benchmark grain on Orleans' Redis provider ("redis").</summary>
public interface IRedisBenchGrain : IStorageBenchGrain;

/// <summary>The benchmark grain on Orleans' memory storage ("memory").</summary>
public interface IMemoryBenchGrain : IStorageBenchGrain;

/// <summary>The grain body shared by the three providers.</summary>
public abstract class StorageBenchGrainBase(IPersistentState<BenchState> state) : Grain, IStorageBenchGrain
{
    /// <summary>The 1 KB payload written on every operation (ASCII, so 1,024 bytes in UTF-8).</summary>
    public static readonly string Payload = string.Create(1024, 0, static (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (char)('a' + (i % 26));
        }
    });

    public async Task<long> ReadModifyWriteAsync()
    {
        await state.ReadStateAsync();
        state.State.Counter++;
        state.State.Payload = Payload;
        await state.WriteStateAsync();
        return state.State.Counter;
    }
}

public sealed class ZooKeeperBenchGrain([PersistentState("state", StorageBenchmark.ZooKeeperProvider)] IPersistentState<BenchState> state)
    : StorageBenchGrainBase(state), IZooKeeperBenchGrain;

public sealed class RedisBenchGrain([PersistentState("state", StorageBenchmark.RedisProvider)] IPersistentState<BenchState> state)
    : StorageBenchGrainBase(state), IRedisBenchGrain;

public sealed class MemoryBenchGrain([PersistentState("state", StorageBenchmark.MemoryProvider)] IPersistentState<BenchState> state)
    : StorageBenchGrainBase(state), IMemoryBenchGrain;
