using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Orleans.Reminders.ZooKeeper.Tests;

/// <summary>
/// Reminders in real silos (Orleans TestingHost), with membership and reminders both on ZooKeeper: a reminder keeps
/// ticking, once per period, when the silo that owned it is killed; reminders survive a full cluster restart; the
/// table can be set up from configuration alone.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ClusterTests(ServerFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_reminder_keeps_ticking_once_per_period_after_the_silo_that_owned_it_is_killed()
    {
        var path = "/reminder-cluster-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = await DeployAsync(path, "svc-" + Guid.NewGuid().ToString("N")[..8], silos: 3);
        var grain = "g-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Client.GetGrain<ITickingGrain>(grain).StartAsync("beat", Period);
        await TestWait.UntilAsync(() => TickingGrain.Of(grain, "beat").Count >= 2, Patience, "two ticks");

        var grainId = GrainId.Create("ticking", grain);
        var owner = cluster.Silos.Single(s => Owns(s, grainId));
        output.WriteLine($"owner: {owner.SiloAddress}; silos: {string.Join(", ", cluster.Silos.Select(s => s.SiloAddress))}");
        await cluster.KillSiloAsync(owner);
        var killedAt = DateTime.UtcNow;

        // The next owner picks the row up once membership declares the silo dead; then ticks come once per period.
        await TestWait.UntilAsync(() => TickingGrain.Of(grain, "beat").Count(t => t.At > killedAt) >= 4, Patience, "four ticks after the kill");
        var after = TickingGrain.Of(grain, "beat").Where(t => t.At > killedAt).ToList();
        Assert.All(after, t => Assert.NotEqual(owner.SiloAddress.ToString(), t.Silo));
        var gaps = after.Zip(after.Skip(1), (a, b) => b.At - a.At).ToList();
        output.WriteLine("gaps after the kill: " + string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:0} ms")));
        Assert.All(gaps, g => Assert.True(g > Period / 2, $"two ticks {g.TotalMilliseconds:0} ms apart: the reminder fired twice in one period"));
        Assert.Single((await Table(cluster).ReadRows(grainId)).Reminders);
    }

    [Fact]
    public async Task Reminders_survive_a_full_cluster_restart_without_being_registered_again()
    {
        var path = "/reminder-restart-" + Guid.NewGuid().ToString("N")[..8];
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var grain = "g-" + Guid.NewGuid().ToString("N")[..8];
        await using (var first = await DeployAsync(path, serviceId, silos: 2))
        {
            await first.Client.GetGrain<ITickingGrain>(grain).StartAsync("survivor", Period);
            await TestWait.UntilAsync(() => TickingGrain.Of(grain, "survivor").Count >= 1, Patience, "a tick");
            await first.StopAllSilosAsync();
        }

        var restartedAt = DateTime.UtcNow;
        await using var second = await DeployAsync(path, serviceId, silos: 2);
        await TestWait.UntilAsync(() => TickingGrain.Of(grain, "survivor").Count(t => t.At > restartedAt) >= 2, Patience, "ticks after the restart");

        // Unregistering through the grain removes the row (a conditional remove with the row's ETag).
        await second.Client.GetGrain<ITickingGrain>(grain).StopAsync("survivor");
        Assert.Empty((await Table(second).ReadRows(GrainId.Create("ticking", grain))).Reminders);
    }

    [Fact]
    public async Task Configuration_alone_sets_up_the_reminder_table()
    {
        var path = "/reminder-config-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = await DeployAsync(path, "svc-" + Guid.NewGuid().ToString("N")[..8], silos: 1, fromConfiguration: true);
        Assert.IsType<ZooKeeperReminderTable>(Table(cluster));
        var grain = "g-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Client.GetGrain<ITickingGrain>(grain).StartAsync("configured", Period);
        await TestWait.UntilAsync(() => TickingGrain.Of(grain, "configured").Count >= 1, Patience, "a tick");
        Assert.Equal(path + "/" + cluster.Options.ServiceId + "/reminders", ((ZooKeeperReminderTable)Table(cluster)).Root);
    }

    private static IReminderTable Table(TestCluster cluster) => ((InProcessSiloHandle)cluster.Silos[0]).SiloHost.Services.GetRequiredService<IReminderTable>();

    /// <summary>Whether the silo's reminder service owns the grain: its range of Orleans' consistent ring (an internal service, reached by name).</summary>
    private static bool Owns(SiloHandle silo, GrainId grainId)
    {
        var services = ((InProcessSiloHandle)silo).SiloHost.Services;
        var type = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetType("Orleans.Runtime.ConsistentRing.IConsistentRingProvider"))
            .First(t => t is not null)!;
        var provider = services.GetRequiredService(type);
        var range = (IRingRange)type.GetMethod("GetMyRange", BindingFlags.Public | BindingFlags.Instance)!.Invoke(provider, null)!;
        return range.InRange(grainId);
    }

    private async Task<TestCluster> DeployAsync(string path, string serviceId, short silos, bool fromConfiguration = false)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = serviceId;
        builder.Options.UseTestClusterMembership = false;
        builder.Properties["zk:url"] = $"zookeeper://{fixture.Server.ConnectString}{path}";
        if (fromConfiguration)
        {
            // Nothing in code names the reminder table: Orleans finds the provider by its registered name.
            builder.Properties["Orleans:Reminders:ProviderType"] = "ZooKeeper";
            builder.Properties["Orleans:Reminders:Url"] = builder.Properties["zk:url"];
        }

        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var url = siloBuilder.Configuration["zk:url"]!;
            siloBuilder.UseZooKeeperClustering(o => o.Url = url);
            if (siloBuilder.Configuration["Orleans:Reminders:ProviderType"] is null)
            {
                siloBuilder.UseZooKeeperReminderService(o => o.Url = url);
            }

            siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
            => clientBuilder.UseZooKeeperClustering(o => o.Url = configuration["zk:url"]);
    }
}
