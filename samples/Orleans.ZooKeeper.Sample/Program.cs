// Orleans + ZooKeeper: a silo with a ZooKeeper container ("main") whose CONNECTED / SUSPENDED / LOST states are
// broadcast on an Orleans stream, and grain state stored as znodes through the same container.
// ZooKeeper comes from sample.ini's [zookeeper] section plus ASAB_ZOOKEEPER_SERVERS (scripts/run-sample.sh
// starts a local server when none is configured). Run it twice: the visit count is kept in ZooKeeper.
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

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddIniFile(Path.Combine(AppContext.BaseDirectory, "sample.ini"), optional: false);
builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans.Runtime", LogLevel.Error);
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering();
    silo.AddMemoryGrainStorage("PubSubStore");
    silo.AddMemoryStreams("zkstate");
    silo.AddZooKeeperContainer("main", url: null, streamProviderName: "zkstate");
    silo.AddZooKeeperGrainStorage("zookeeper", o => o.ContainerName = "main");
});

using var host = builder.Build();
await host.StartAsync();

var container = host.Services.GetRequiredService<ZooKeeperContainers>().Get("main");
Console.WriteLine($"container 'main' -> {container.Target} (servers from {container.Target.ServersSource}, path from {container.Target.PathSource})");

var grains = host.Services.GetRequiredService<IGrainFactory>();
foreach (var name in new[] { "alice", "bob" })
{
    var profile = await grains.GetGrain<IProfileGrain>(name).Visit();
    Console.WriteLine($"{profile.Name} has visited {profile.Visits} time(s)");
}

// What an operator sees with zkCli: plain JSON in {container path}/{ServiceId}/{grain type}/{grain key}/{state name}.
var serviceId = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
var node = $"{container.BasePath}/{ZNodeNames.Encode(serviceId)}/profile/alice/profile";
Console.WriteLine($"{node} = {System.Text.Encoding.UTF8.GetString((await container.Client.GetDataAsync(node)).Data)}");

var advert = await container.AdvertiseAsync(System.Text.Encoding.UTF8.GetBytes(Environment.MachineName), "silos/silo-");
Console.WriteLine($"advertised this silo as {advert.CurrentPath}");

// Let the state stream deliver CONNECTED before shutting down (it is printed by ContainerStatePrinter).
await Task.Delay(TimeSpan.FromSeconds(1));
await host.StopAsync();
Console.WriteLine("silo stopped; the container closed its session, so the advertisement is gone");

// Leader election across two silos (LeaderElectionDemo.cs).
await LeaderElectionDemo.RunAsync(builder.Configuration);
