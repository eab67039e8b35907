using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Orleans.Reminders.ZooKeeper.Tests;

public interface ITickingGrain : IGrainWithStringKey
{
    Task StartAsync(string reminderName, TimeSpan period);

    Task StopAsync(string reminderName);
}

/// <summary>One tick as a grain saw it: which grain, which reminder, when, on which silo.</summary>
public sealed record Tick(string Grain, string Reminder, DateTime At, string Silo);

/// <summary>Records every reminder tick (the silos of a test cluster share this process).</summary>
public sealed class TickingGrain(ILocalSiloDetails silo) : Grain, ITickingGrain, IRemindable
{
    public static ConcurrentQueue<Tick> Ticks { get; } = new();

    public static List<Tick> Of(string grain, string reminder) => [.. Ticks.Where(t => t.Grain == grain && t.Reminder == reminder)];

    public async Task StartAsync(string reminderName, TimeSpan period)
        => await this.RegisterOrUpdateReminder(reminderName, period, period);

    public async Task StopAsync(string reminderName)
    {
        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.Enqueue(new Tick(this.GetPrimaryKeyString(), reminderName, DateTime.UtcNow, silo.SiloAddress.ToString()));
        return Task.CompletedTask;
    }
}
