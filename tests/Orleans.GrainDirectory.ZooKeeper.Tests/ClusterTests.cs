using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Orleans.GrainDirectory.ZooKeeper.Tests;

public interface IDirectoryGrain : IGrainWithStringKey
{
    Task<(string Silo, string Activation)> Where();
}

/// <summary>A grain type whose activations are kept in the ZooKeeper directory "zk".</summary>
[GrainDirectory("zk")]
public sealed class DirectoryGrain(ILocalSiloDetails silo) : Grain, IDirectoryGrain
{
    private readonly string _activation = Guid.NewGuid().ToString("N");

    public Task<(string Silo, string Activation)> Where() => Task.FromResult((silo.SiloAddress.ToParsableString(), _activation));
}

/// <summary>The directory in real silos (membership on ZooKeeper too): a killed silo's grain comes back once, elsewhere.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClusterTests(ServerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_grain_on_a_killed_silo_comes_back_once_on_another_and_never_two_activations_answer()
    {
        var path = "/directory-cluster-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new TestClusterBuilder(3);
        builder.Options.ServiceId = builder.Options.ClusterId = "dir-" + Guid.NewGuid().ToString("N")[..8];
        builder.Options.UseTestClusterMembership = false;
        builder.Properties["zk:url"] = $"zookeeper://{fixture.Server.ConnectString}{path}";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        // Grains on every silo; one of them on the silo about to be killed.
        var grains = Enumerable.Range(0, 30).Select(i => cluster.Client.GetGrain<IDirectoryGrain>("g" + i)).ToList();
        var first = new Dictionary<int, (string Silo, string Activation)>();
        for (var i = 0; i < grains.Count; i++)
        {
            first[i] = await grains[i].Where();
        }

        // They are in the ZooKeeper directory: one entry each.
        await using (var observer = await Orleans.ZooKeeper.Client.ZooKeeperClient.ConnectAsync(new Orleans.ZooKeeper.Client.ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString }))
        {
            var grainsNode = $"{path}/{builder.Options.ClusterId}.directory/zk/grains";
            var entries = 0;
            foreach (var bucket in await observer.GetChildrenAsync(grainsNode))
            {
                entries += (await observer.GetChildrenAsync(grainsNode + "/" + bucket)).Count;
            }

            Assert.Equal(grains.Count, entries);
        }

        var victim = cluster.Silos.First(s => s.SiloAddress.ToParsableString() != cluster.Silos[0].SiloAddress.ToParsableString() && first.Values.Any(w => w.Silo == s.SiloAddress.ToParsableString()));
        var onVictim = first.Where(p => p.Value.Silo == victim.SiloAddress.ToParsableString()).Select(p => p.Key).ToList();
        output.WriteLine($"killing {victim.SiloAddress} with {onVictim.Count} of the grains");
        await cluster.KillSiloAsync(victim);

        // Every grain answers again; each answers from one activation from then on (no flapping between two).
        var seen = new Dictionary<int, List<string>>();
        await TestWait.UntilAsync(
            async () =>
            {
                foreach (var i in onVictim)
                {
                    try
                    {
                        var (silo, activation) = await grains[i].Where().WaitAsync(TimeSpan.FromSeconds(5));
                        Assert.NotEqual(victim.SiloAddress.ToParsableString(), silo);
                        (seen.TryGetValue(i, out var list) ? list : seen[i] = []).Add(activation);
                    }
                    catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                    {
                        return false; // the dead silo is not yet declared dead: the call fails or times out
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(90),
            "the grains of the killed silo answer from another silo");
        for (var round = 0; round < 5; round++)
        {
            foreach (var i in onVictim)
            {
                seen[i].Add((await grains[i].Where()).Activation);
            }
        }

        foreach (var i in onVictim)
        {
            Assert.Single(seen[i].Distinct());
            Assert.NotEqual(first[i].Activation, seen[i][0]);
        }

        // The others kept their activation.
        foreach (var i in first.Keys.Except(onVictim))
        {
            Assert.Equal(first[i].Activation, (await grains[i].Where()).Activation);
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var url = siloBuilder.Configuration["zk:url"]!;
            siloBuilder.UseZooKeeperClustering(o => o.Url = url);
            siloBuilder.AddZooKeeperGrainDirectory("zk", o => o.Url = url);
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
