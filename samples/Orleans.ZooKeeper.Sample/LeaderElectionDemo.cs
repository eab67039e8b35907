using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Orleans.ZooKeeper.Sample;

/// <summary>
/// Leader election across two silos: each has the container "main" (same ZooKeeper path, from the sample's
/// configuration) and joins the election "sample". One leads; when it shuts down it steps down first and the other
/// takes over at once. (Each silo is a one-silo cluster of its own, so the demo does not depend on how the sample's
/// main silo is clustered: the election only needs ZooKeeper.)
/// </summary>
internal static class LeaderElectionDemo
{
    public static async Task RunAsync(Action<HostApplicationBuilder> configure)
    {
        Console.WriteLine();
        Console.WriteLine("-- leader election across two silos --");
        using var siloA = Build("A", SamplePorts.Silo[0], SamplePorts.Gateway[0], configure);
        using var siloB = Build("B", SamplePorts.Silo[1], SamplePorts.Gateway[1], configure);
        await siloA.StartAsync();
        await siloB.StartAsync();
        var a = Election(siloA);
        var b = Election(siloB);
        await Until(() => a.IsLeader || b.IsLeader);
        var (leaderHost, leader, other) = a.IsLeader ? (siloA, a, b) : (siloB, b, a);
        await Until(() => other.Leader is not null);
        Console.WriteLine($"{leader.ParticipantId} leads (fencing token {leader.FencingToken}); {other.ParticipantId} sees the leader's node {other.Leader?.Path} (token {other.Leader?.FencingToken})");

        await Task.Delay(TimeSpan.FromSeconds(1)); // let the stream deliver the first announcements before stopping
        var clock = Stopwatch.StartNew();
        await leaderHost.StopAsync(); // steps down first thing
        await Until(() => other.IsLeader);
        Console.WriteLine($"{leader.ParticipantId} stopped; {other.ParticipantId} leads {clock.ElapsedMilliseconds} ms later (fencing token {other.FencingToken})");
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the stream deliver LEADER! before stopping
        await (leaderHost == siloA ? siloB : siloA).StopAsync();
    }

    private static IHost Build(string name, int siloPort, int gatewayPort, Action<HostApplicationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        configure(builder); // the sample's configuration (its [zookeeper] section, ASAB_ZOOKEEPER_SERVERS) and log filters
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "zk-election-demo-" + name, clusterId: "zk-election-demo-" + name);
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.AddMemoryStreams("elections");
            silo.AddZooKeeperContainer("main");
            silo.AddZooKeeperLeaderElection("main", "sample", streamProviderName: "elections", o => o.ParticipantId = "silo " + name);
        });
        return builder.Build();
    }

    private static ZooKeeperLeaderElection Election(IHost host)
        => host.Services.GetRequiredKeyedService<ZooKeeperLeaderElection>(ZooKeeperLeaderElection.ServiceKey("main", "sample"));

    private static async Task Until(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("the election did not settle within 30 s");
            }

            await Task.Delay(20);
        }
    }
}

/// <summary>Prints every LEADER!/FOLLOWER! of every election: subscribed implicitly to their stream namespace.</summary>
[ImplicitStreamSubscription(ZooKeeperLeaderStates.StreamNamespace)]
public sealed class LeaderAnnouncementPrinter : Grain, IGrainWithStringKey, IStreamSubscriptionObserver, IAsyncObserver<ZooKeeperLeaderStateChanged>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => handleFactory.Create<ZooKeeperLeaderStateChanged>().ResumeAsync(this);

    public Task OnNextAsync(ZooKeeperLeaderStateChanged item, StreamSequenceToken? token = null)
    {
        Console.WriteLine($"[stream {ZooKeeperLeaderStates.StreamNamespace}/{this.GetPrimaryKeyString()}] {item.Name}  {item.ParticipantId}, token {item.FencingToken} ({item.Reason})");
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
