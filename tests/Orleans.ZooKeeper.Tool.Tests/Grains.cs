using Orleans.Runtime;

namespace Orleans.ZooKeeper.Tool.Tests;

[GenerateSerializer]
public sealed class ToolState
{
    [Id(0)]
    public string Text { get; set; } = "";

    [Id(1)]
    public int Number { get; set; }
}

[GenerateSerializer]
public sealed record StateView([property: Id(0)] string Text, [property: Id(1)] int Number, [property: Id(2)] string? ETag, [property: Id(3)] bool Exists);

/// <summary>A grain whose one state ("data", provider "zookeeper") the tests write through Orleans and read back.</summary>
public interface IStateGrain : IGrainWithStringKey
{
    /// <summary>Writes the state; its new ETag.</summary>
    Task<string?> Write(string text, int number);

    /// <summary>Reads the state from storage again (what the tool changed shows here).</summary>
    Task<StateView> ReadFresh();
}

public interface ICounterGrain : IStateGrain;

public interface IBackupGrain : IStateGrain;

public interface IBulkGrain : IStateGrain;

public interface IEditGrain : IStateGrain;

public abstract class StateGrain(IPersistentState<ToolState> state) : Grain
{
    public async Task<string?> Write(string text, int number)
    {
        state.State.Text = text;
        state.State.Number = number;
        await state.WriteStateAsync();
        return state.Etag;
    }

    public async Task<StateView> ReadFresh()
    {
        await state.ReadStateAsync();
        return new StateView(state.State.Text, state.State.Number, state.Etag, state.RecordExists);
    }
}

[GrainType("counter")]
public sealed class CounterGrain([PersistentState("data", "zookeeper")] IPersistentState<ToolState> state) : StateGrain(state), ICounterGrain;

[GrainType("backup")]
public sealed class BackupGrain([PersistentState("data", "zookeeper")] IPersistentState<ToolState> state) : StateGrain(state), IBackupGrain;

[GrainType("bulk")]
public sealed class BulkGrain([PersistentState("data", "zookeeper")] IPersistentState<ToolState> state) : StateGrain(state), IBulkGrain;

[GrainType("edit")]
public sealed class EditGrain([PersistentState("data", "zookeeper")] IPersistentState<ToolState> state) : StateGrain(state), IEditGrain;
