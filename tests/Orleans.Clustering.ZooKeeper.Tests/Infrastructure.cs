using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Clustering.ZooKeeper.Tests;

/// <summary>One real standalone ZooKeeper server shared by the table and hosting tests, plus a raw client to look at nodes.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    /// <summary>A plain client without credentials.</summary>
    public ZooKeeperClient Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions());
        Raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = Server.ConnectString });
    }

    public async Task DisposeAsync()
    {
        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>A fresh container URL: every test keeps its tables under its own path.</summary>
    public string NewUrl(string prefix = "t") => $"zookeeper://{Server.ConnectString}/{prefix}-{Guid.NewGuid():N}";

    /// <summary>Starts a table outside any silo (see <see cref="TableHandle"/>).</summary>
    public Task<TableHandle> StartTableAsync(string? url = null, string? clusterId = null, Action<ZooKeeperClusteringOptions>? configure = null, bool init = true)
        => TableHandle.StartAsync(url ?? NewUrl(), clusterId ?? "c-" + Guid.NewGuid().ToString("N")[..8], configure, init);
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "zookeeper server";
}

/// <summary>A membership table (own container, own session) built from a plain ServiceCollection and initialized.</summary>
public sealed class TableHandle : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private TableHandle(ServiceProvider services, string url, string clusterId, LogCapture logs)
    {
        _services = services;
        Url = url;
        ClusterId = clusterId;
        Logs = logs;
        Table = services.GetRequiredService<ZooKeeperMembershipTable>();
    }

    public string Url { get; }

    public string ClusterId { get; }

    public LogCapture Logs { get; }

    internal ZooKeeperMembershipTable Table { get; }

    public IMembershipTable Membership => Table;

    public ZooKeeperClient Client => Table.Container.Client;

    public string TablePath => Table.TablePath;

    public static async Task<TableHandle> StartAsync(string url, string clusterId, Action<ZooKeeperClusteringOptions>? configure, bool init)
    {
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = "svc";
        });
        services.AddOptions<ZooKeeperClusteringOptions>().Configure(o =>
        {
            o.Url = url;
            configure?.Invoke(o);
        });
        services.AddSingleton<ZooKeeperMembershipTable>();
        services.AddZooKeeperProviderHost();
        var provider = services.BuildServiceProvider();
        var handle = new TableHandle(provider, url, clusterId, logs);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await handle.Table.InitializeMembershipTableAsync(init, cts.Token);
        }
        catch
        {
            await handle.DisposeAsync();
            throw;
        }

        return handle;
    }

    public async ValueTask DisposeAsync()
    {
        await Table.DisposeAsync();
        await _services.DisposeAsync();
    }
}

/// <summary>Membership entries and silo addresses for tests (as Orleans' MembershipTableTestsBase makes them).</summary>
internal static class Entries
{
    private static int _generation = Environment.TickCount & 0xffff;

    public static SiloAddress NewSilo(int port = 12345)
        => SiloAddress.New(IPAddress.Loopback, port, Interlocked.Increment(ref _generation));

    public static DateTime NowSeconds()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc);
    }

    public static MembershipEntry New(SiloStatus status = SiloStatus.Joining, SiloAddress? silo = null)
    {
        silo ??= NewSilo();
        return new MembershipEntry
        {
            SiloAddress = silo,
            HostName = Dns.GetHostName(),
            SiloName = "TestSiloName",
            Status = status,
            ProxyPort = silo.Endpoint.Port,
            StartTime = NowSeconds(),
            IAmAliveTime = NowSeconds(),
        };
    }
}
