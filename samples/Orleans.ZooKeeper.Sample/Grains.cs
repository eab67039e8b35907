using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;
using Orleans.ZooKeeper;

namespace Orleans.ZooKeeper.Sample;

[GenerateSerializer]
public sealed class Profile
{
    [Id(0)]
    public string Name { get; set; } = string.Empty;

    [Id(1)]
    public int Visits { get; set; }

    [Id(2)]
    public DateTimeOffset? LastVisit { get; set; }

    /// <summary>The silo the grain was active on for this visit (not stored).</summary>
    [Id(3)]
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Silo { get; set; }
}

public interface IProfileGrain : IGrainWithStringKey
{
    Task<Profile> Visit();
}

/// <summary>A grain whose state lives in ZooKeeper.</summary>
public sealed class ProfileGrain([PersistentState("profile", "zookeeper")] IPersistentState<Profile> profile, ILocalSiloDetails silo) : Grain, IProfileGrain
{
    public async Task<Profile> Visit()
    {
        profile.State.Name = this.GetPrimaryKeyString();
        profile.State.Visits++;
        profile.State.LastVisit = DateTimeOffset.UtcNow;
        await profile.WriteStateAsync();
        profile.State.Silo = silo.SiloAddress.ToParsableString();
        return profile.State;
    }
}

/// <summary>Prints every state change of every container: subscribed implicitly to the state stream namespace.</summary>
[ImplicitStreamSubscription(ZooKeeperContainerStates.StreamNamespace)]
public sealed class ContainerStatePrinter : Grain, IGrainWithStringKey, IStreamSubscriptionObserver, IAsyncObserver<ZooKeeperContainerStateChanged>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => handleFactory.Create<ZooKeeperContainerStateChanged>().ResumeAsync(this);

    public Task OnNextAsync(ZooKeeperContainerStateChanged item, StreamSequenceToken? token = null)
    {
        Console.WriteLine($"[state stream] {item.Name}  container '{item.ContainerName}', session 0x{item.SessionId:x}, server {item.Server ?? "-"}, silo {item.Silo}");
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

public interface IReportGrain : IGrainWithStringKey
{
    Task Start(TimeSpan period);

    Task Stop();
}

/// <summary>A reminder kept in ZooKeeper: it fires on whichever silo owns it, and survives the silo that registered it.</summary>
public sealed class ReportGrain(ILocalSiloDetails silo) : Grain, IReportGrain, IRemindable
{
    /// <summary>Every tick, as "silo N" (the silos of the sample run in this process).</summary>
    public static System.Threading.Channels.Channel<string> Ticks { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

    public async Task Start(TimeSpan period) => await this.RegisterOrUpdateReminder("nightly-report", period, period);

    public async Task Stop()
    {
        if (await this.GetReminder("nightly-report") is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.Writer.TryWrite($"silo {SamplePorts.Silo.ToList().IndexOf(silo.SiloAddress.Endpoint.Port) + 1}");
        return Task.CompletedTask;
    }
}

public interface ICartGrain : IGrainWithStringKey
{
    Task<string> Where();
}

/// <summary>A grain type whose activations are registered in the ZooKeeper grain directory "zk" (one activation cluster-wide, also across silo failures).</summary>
[Orleans.GrainDirectory.GrainDirectory("zk")]
public sealed class CartGrain(ILocalSiloDetails silo) : Grain, ICartGrain
{
    public Task<string> Where() => Task.FromResult($"silo {SamplePorts.Silo.ToList().IndexOf(silo.SiloAddress.Endpoint.Port) + 1}");
}
