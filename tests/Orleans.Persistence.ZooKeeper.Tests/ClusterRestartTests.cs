using Orleans.Runtime;
using Orleans.TestingHost;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Two silos, every kind of grain key and a generic grain; then all silos go and a new cluster reads it all back.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClusterRestartTests(ServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Grain_state_of_every_key_kind_and_of_generic_grains_survives_a_restart_of_all_silos()
    {
        var basePath = "/restart-" + Guid.NewGuid().ToString("N")[..8];
        var serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        var consumerKey = "restart-consumer";

        // Grains of every key kind, several of each so that both silos hold some.
        IReadOnlyList<(string What, Func<IClusterClient, IProfileGrain> Get)> Grains()
        {
            var list = new List<(string, Func<IClusterClient, IProfileGrain>)>();
            for (var i = 0; i < 6; i++)
            {
                var guid = new Guid(i + 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
                var n = i;
                list.Add(($"guid {guid}", c => c.GetGrain<IGuidProfileGrain>(guid)));
                list.Add(($"long {n}", c => c.GetGrain<ILongProfileGrain>(n % 2 == 0 ? n : -n * 1_000_000_000_000L)));
                list.Add(($"guid+ext {n}", c => c.GetGrain<IGuidCompoundProfileGrain>(guid, $"ext/{n}/..")));
                list.Add(($"long+ext {n}", c => c.GetGrain<ILongCompoundProfileGrain>(n, $"ext {n} 日本")));
            }

            foreach (var key in new[] { "plain", "a/b", "..", " padded ", "%", "emoji 😀", new string('k', 1500), "x", "y", "z" })
            {
                list.Add(($"string '{key[..Math.Min(key.Length, 20)]}'", c => c.GetGrain<IStringProfileGrain>(key)));
            }

            return list;
        }

        var grains = Grains();
        var written = new Dictionary<string, ProfileSnapshot>();
        string? genericStringETag, genericListETag, genericProfileETag;

        var first = ClusterSetup.Builder(fixture, basePath, serviceId, 2).Build();
        await first.DeployAsync();
        try
        {
            Assert.Equal(2, first.Silos.Count);
            foreach (var (what, get) in grains)
            {
                var grain = get(first.Client);
                await grain.Set(what + " v1");
                written[what] = await grain.Set(what + " v2");
                Assert.True(written[what].RecordExists);
                Assert.Equal(2, written[what].State.Writes);
            }

            Assert.Equal(2, written.Values.Select(s => s.Silo).Distinct().Count());

            // Each state is in its own node under {base}/main/{ServiceId}, with the ETag the grain saw.
            var root = first.Storage(ClusterSetup.MainProvider).Root;
            Assert.Equal($"{basePath}/main/{ZNodeNames.Encode(serviceId)}", root);
            foreach (var (what, get) in grains)
            {
                var stat = await fixture.Raw.ExistsAsync(ClusterSetup.NodeOf(root, get(first.Client).GetGrainId(), "profile"));
                Assert.True(stat is not null, what);
                Assert.Equal(written[what].ETag, ZooKeeperGrainStorage.ETag(stat.Value));
            }

            genericStringETag = await first.Client.GetGrain<IGenericProfileGrain<string>>("gen").Set("text value");
            genericListETag = await first.Client.GetGrain<IGenericProfileGrain<List<int>>>("gen").Set([1, 2, 3]);
            genericProfileETag = await first.Client.GetGrain<IGenericProfileGrain<ProfileState>>("gen").Set(new ProfileState { Name = "nested", Writes = 9, History = ["h"] });
            Assert.Equal(3, new[] { genericStringETag, genericListETag, genericProfileETag }.Distinct().Count());

            // A stream subscription kept in the ZooKeeper PubSubStore.
            var consumer = first.Client.GetGrain<IStreamConsumerGrain>(consumerKey);
            await consumer.Subscribe();
            await Stream(first, consumerKey).OnNextAsync(1);
            await TestWait.UntilAsync(async () => (await consumer.Received()).Count == 1, Timeout, "event delivered in the first cluster");
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = ClusterSetup.Builder(fixture, basePath, serviceId, 2).Build();
        await second.DeployAsync();
        try
        {
            foreach (var (what, get) in grains)
            {
                var read = await get(second.Client).Get();
                Assert.True(read.RecordExists, what);
                Assert.Equal(what + " v2", read.State.Name);
                Assert.Equal(2, read.State.Writes);
                Assert.Equal([what + " v1", what + " v2"], read.State.History);
                Assert.Equal(written[what].ETag, read.ETag);
            }

            var genericString = await second.Client.GetGrain<IGenericProfileGrain<string>>("gen").Get();
            Assert.Equal("text value", genericString.Value);
            Assert.Equal(1, genericString.Writes);
            Assert.Equal([1, 2, 3], (await second.Client.GetGrain<IGenericProfileGrain<List<int>>>("gen").Get()).Value);
            var genericProfile = (await second.Client.GetGrain<IGenericProfileGrain<ProfileState>>("gen").Get()).Value!;
            Assert.Equal("nested", genericProfile.Name);
            Assert.Equal(9, genericProfile.Writes);
            Assert.Equal(["h"], genericProfile.History);

            // Writing carries on from the stored ETag.
            var next = await grains[0].Get(second.Client).Set("after restart");
            Assert.Equal(3, next.State.Writes);
            Assert.NotEqual(written[grains[0].What].ETag, next.ETag);
            Assert.NotEqual(genericStringETag, await second.Client.GetGrain<IGenericProfileGrain<string>>("gen").Set("again"));

            // The subscription came back from ZooKeeper: a new activation of the consumer gets the next event.
            await Stream(second, consumerKey).OnNextAsync(2);
            var consumer = second.Client.GetGrain<IStreamConsumerGrain>(consumerKey);
            await TestWait.UntilAsync(async () => (await consumer.Received()).Contains(2), Timeout, "event delivered after the restart");
            Assert.Equal([2], await consumer.Received());
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }

    private static Orleans.Streams.IAsyncStream<int> Stream(TestCluster cluster, string key)
        => cluster.Client.GetStreamProvider(ClusterSetup.StreamProvider).GetStream<int>(StreamId.Create(ClusterSetup.StreamNamespace, key));
}
