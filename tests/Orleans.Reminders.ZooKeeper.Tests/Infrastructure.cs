using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Reminders.ZooKeeper.Tests;

/// <summary>One standalone ZooKeeper server for the table tests.</summary>
/// <summary>The collection's server (see <see cref="StandaloneServerFixture"/>).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly StandaloneServerFixture _fixture = new();

    public ZooKeeperServer Server => _fixture.Server;

    public Task InitializeAsync() => _fixture.StartAsync();

    public async Task DisposeAsync() => await _fixture.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "reminder server";
}

/// <summary>A started reminder table through DI (as a silo builds it), with its own service id.</summary>
internal sealed class TableHandle : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private TableHandle(ServiceProvider services, string serviceId)
    {
        _services = services;
        ServiceId = serviceId;
        Table = services.GetRequiredService<ZooKeeperReminderTable>();
    }

    public string ServiceId { get; }

    public ZooKeeperReminderTable Table { get; }

    public IReminderTable Contract => Table;

    public ZooKeeperClient Client => Table.Connection.Client;

    public static async Task<TableHandle> StartAsync(string servers, string? serviceId = null, string path = "/reminder-tests", Action<ZooKeeperReminderTableOptions>? configure = null)
    {
        // Orleans' own table tests use service ids with '/' in them: so do these.
        serviceId ??= Guid.NewGuid().ToString("N")[..8] + "/svc";
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (serviceId, "tests"));
        services.UseZooKeeperReminderService(ob => ob.Configure(o =>
        {
            o.Url = $"zookeeper://{servers}{path}";
            configure?.Invoke(o);
        }));
        var provider = services.BuildServiceProvider();
        foreach (var validator in provider.GetServices<IConfigurationValidator>())
        {
            validator.ValidateConfiguration();
        }

        var handle = new TableHandle(provider, serviceId);
        await handle.Table.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return handle;
    }

    public async ValueTask DisposeAsync()
    {
        await Table.StopAsync();
        await _services.DisposeAsync();
    }
}

internal static class Reminders
{
    /// <summary>A grain id like Orleans' own table tests make: a GUID key with '/', '\', '#' and '?' in its extension.</summary>
    public static GrainId NewGrain(string extension = "foo/bar\\#baz?")
        => GrainId.Create(GrainType.Create("my-remindable-grain"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), extension));

    public static ReminderEntry Entry(GrainId grain, string name, DateTime? startAt = null, TimeSpan? period = null)
        => new()
        {
            GrainId = grain,
            ReminderName = name,
            StartAt = startAt ?? new DateTime(DateTime.UtcNow.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc),
            Period = period ?? TimeSpan.FromMinutes(1),
        };
}
