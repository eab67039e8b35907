// A test silo: a ZooKeeper container "zk" (URL from --zk-url) and clustering set up from configuration alone
// (Orleans:Clustering:ProviderType=ZooKeeper, Orleans:Clustering:ContainerName=zk), short membership timings,
// loopback endpoints. Arguments are configuration keys, e.g.
//   --zk-url=zookeeper://127.0.0.1:2181/t --Orleans:Clustering:ProviderType=ZooKeeper
//   --Orleans:Clustering:ContainerName=zk --Orleans:ClusterId=c1 --silo-port=11111 --gateway-port=30000
// Prints "STATE <state> session=0x..." on every container state change and "READY <silo address>" once the silo is
// active; exits when stdin closes (or is killed).
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper;

var builder = Host.CreateApplicationBuilder(args);
var config = builder.Configuration;
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.SetMinimumLevel(LogLevel.Warning)
    .AddFilter("Orleans.ZooKeeper", LogLevel.Information)
    .AddFilter("Orleans.Clustering.ZooKeeper", LogLevel.Information)
    .AddFilter("Orleans.Runtime.MembershipService", LogLevel.Information);

builder.UseOrleans(silo =>
{
    silo.AddZooKeeperContainer("zk", config["zk-url"]);
    silo.ConfigureEndpoints(IPAddress.Loopback, int.Parse(config["silo-port"]!, System.Globalization.CultureInfo.InvariantCulture), int.Parse(config["gateway-port"]!, System.Globalization.CultureInfo.InvariantCulture));
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = config["Orleans:ClusterId"]!;
        o.ServiceId = config["Orleans:ServiceId"] ?? "zk-cluster-tests";
    });
    silo.Configure<ClusterMembershipOptions>(o =>
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 3;
        o.NumVotesForDeathDeclaration = 2;
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
        o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
    });
});

using var host = builder.Build();
var container = host.Services.GetRequiredService<ZooKeeperContainers>().Get("zk");
container.StateChanged += (_, e) => Console.WriteLine($"STATE {e.State.ToString().ToUpperInvariant()} session=0x{e.SessionId:x}");
await host.StartAsync();
var silo = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
Console.WriteLine($"READY {silo.ToParsableString()}");

// Run until the test closes stdin (or kills the process).
await Task.Run(() =>
{
    while (Console.ReadLine() is not null)
    {
    }
});
await host.StopAsync();
