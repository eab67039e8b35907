// Orleans + ZooKeeper: two silos that form a cluster through ZooKeeper clustering, keep grain state and reminders in ZooKeeper, and
// share one ZooKeeper container ("main") each; an external client that finds the silos' gateways in ZooKeeper.
// ZooKeeper comes from sample.ini's [zookeeper] section plus ASAB_ZOOKEEPER_SERVERS (scripts/run-sample.sh starts a
// local server when none is configured). Run it twice: the visit counts are kept in ZooKeeper.
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Persistence.ZooKeeper;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Sample;

const string ClusterId = "sample-cluster";
const string ServiceId = "sample-service";

var silos = new List<IHost>();
for (var i = 0; i < 2; i++)
{
    silos.Add(await StartSiloAsync(args, i));
    Console.WriteLine($"silo {i + 1} is up");
}

var container = silos[0].Services.GetRequiredService<ZooKeeperContainers>().Get("main");
Console.WriteLine($"container 'main' -> {container.Target} (servers from {container.Target.ServersSource}, path from {container.Target.PathSource})");
await PrintMembershipAsync(container, "the membership table in ZooKeeper");

// An external client: its gateways come from the same table (clustering options from the [zookeeper] section alone).
var clientBuilder = Host.CreateApplicationBuilder(args);
Configure(clientBuilder);
clientBuilder.UseOrleansClient(client => client
    .UseZooKeeperClustering()
    .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ServiceId)));
using (var clientHost = clientBuilder.Build())
{
    await clientHost.StartAsync();
    var grains = clientHost.Services.GetRequiredService<IClusterClient>();
    foreach (var name in new[] { "alice", "bob", "carol" })
    {
        var profile = await grains.GetGrain<IProfileGrain>(name).Visit();
        Console.WriteLine($"{profile.Name} has visited {profile.Visits} time(s) (grain active on silo {profile.Silo})");
    }

    await clientHost.StopAsync();
}

// What an operator sees with zkCli: {container path}/{ServiceId}/{grain type}/{grain key}.{state name} holds a first
// line naming the format (after the byte 0x1E, not shown here) and the state as plain JSON.
var node = $"{container.BasePath}/{ZNodeNames.Encode(ServiceId)}/profile/alice.profile";
var stored = Encoding.UTF8.GetString((await container.Client.GetDataAsync(node)).Data).TrimStart('\u001e');
Console.WriteLine($"{node} = {stored.Replace("\n", " | ", StringComparison.Ordinal)}");

// A reminder kept in ZooKeeper ({container path}/{ServiceId}/reminders/…): it ticks on the silo that owns it, and
// goes on ticking on the other silo once that one stops.
var report = silos[0].Services.GetRequiredService<IGrainFactory>().GetGrain<IReportGrain>("nightly");
await report.Start(TimeSpan.FromSeconds(1));
Console.WriteLine($"reminder 'nightly-report' registered; it ticked on {await NextTickAsync()}");

// A grain type kept in the ZooKeeper grain directory: its entry, {container path}/{ClusterId}.directory/zk/grains/…
var cart = silos[0].Services.GetRequiredService<IGrainFactory>().GetGrain<ICartGrain>("alice");
Console.WriteLine($"cart 'alice' is active on {await cart.Where()}; its directory entry: {await DirectoryEntryAsync(container, "cart/alice")}");

var advert = await container.AdvertiseAsync(Encoding.UTF8.GetBytes(Environment.MachineName), "silos/silo-");
Console.WriteLine($"advertised silo 1 as {advert.CurrentPath}");

// Let the state stream deliver CONNECTED before shutting down (it is printed by ContainerStatePrinter).
await Task.Delay(TimeSpan.FromSeconds(1));
await silos[1].StopAsync();
Console.WriteLine("silo 2 stopped");
await PrintMembershipAsync(container, "after silo 2 left");
while (ReportGrain.Ticks.Reader.TryRead(out _))
{
}

Console.WriteLine($"reminder 'nightly-report' ticked on {await NextTickAsync()} after silo 2 stopped");
await report.Stop();
await silos[0].StopAsync();
Console.WriteLine("silo 1 stopped; the container closed its session, so the advertisement is gone");

// Leader election across two silos (LeaderElectionDemo.cs).
await LeaderElectionDemo.RunAsync(Configure);
foreach (var silo in silos)
{
    silo.Dispose();
}

static async Task<string> DirectoryEntryAsync(ZooKeeperContainer container, string grainId)
{
    var grains = $"{container.BasePath}/{ZooKeeperNodeNames.Encode(ClusterId)}.directory/zk/grains";
    foreach (var bucket in await container.Client.GetChildrenAsync(grains))
    {
        var entry = $"{grains}/{bucket}/{ZooKeeperNodeNames.Encode(grainId)}";
        if (await container.Client.ExistsAsync(entry) is not null)
        {
            return entry;
        }
    }

    return "(none)";
}

static async Task<string> NextTickAsync()
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    return await ReportGrain.Ticks.Reader.ReadAsync(timeout.Token);
}

static void Configure(HostApplicationBuilder builder)
{
    builder.Configuration.AddIniFile(Path.Combine(AppContext.BaseDirectory, "sample.ini"), optional: false);
    // Memory streams' pulling agents report the cancellation of their queue reads while a silo stops: not shown.
    builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans.Runtime", LogLevel.Error).AddFilter("Orleans.Messaging", LogLevel.Error)
        .AddFilter("Orleans.Streams", LogLevel.Critical).AddFilter("Orleans.Providers.MemoryAdapterReceiver", LogLevel.Critical);
}

static async Task<IHost> StartSiloAsync(string[] args, int index)
{
    var builder = Host.CreateApplicationBuilder(args);
    Configure(builder);
    builder.UseOrleans(silo =>
    {
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ServiceId));
        silo.ConfigureEndpoints(IPAddress.Loopback, siloPort: SamplePorts.Silo[index], gatewayPort: SamplePorts.Gateway[index]);   // loopback ports
        silo.AddZooKeeperContainer("main", url: null, streamProviderName: "zkstate");
        silo.UseZooKeeperClustering(o => o.ContainerName = "main");                      // membership in ZooKeeper
        silo.AddZooKeeperGrainStorage("zookeeper", o => o.ContainerName = "main");       // grain state in ZooKeeper
        silo.AddZooKeeperGrainStorage("PubSubStore", o => o.ContainerName = "main");     // stream subscriptions too
        silo.UseZooKeeperReminderService(o => o.ContainerName = "main");                 // reminders in ZooKeeper
        silo.AddZooKeeperGrainDirectory("zk", o => o.ContainerName = "main");            // [GrainDirectory("zk")] grains
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1)); // (a demo: 1 s ticks)
        silo.AddMemoryStreams("zkstate");
    });
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

// The table as zkCli shows it: {container path}/{ClusterId}/{ip:port@generation} rows (JSON), version = table version.
static async Task PrintMembershipAsync(ZooKeeperContainer container, string title)
{
    var table = $"{container.BasePath}/{ClusterId}";
    var tableNode = await container.Client.GetDataAsync(table);
    Console.WriteLine($"{title}: {table} (table version {tableNode.Stat.Version})");
    foreach (var row in (await container.Client.GetChildrenAsync(table)).Order(StringComparer.Ordinal))
    {
        using var json = JsonDocument.Parse((await container.Client.GetDataAsync($"{table}/{row}")).Data);
        var heartbeat = Encoding.UTF8.GetString((await container.Client.GetDataAsync($"{table}/{row}/IAmAlive")).Data);
        Console.WriteLine($"  {row}  {json.RootElement.GetProperty("Status").GetString(),-12} gateway port {json.RootElement.GetProperty("ProxyPort").GetInt32()}, heartbeat {heartbeat}");
    }
}
