using System.Globalization;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// ZooKeeper's first promise, FIFO client order, across reconnects: a client cut off by a proxy issues requests
/// (they wait), the proxy lets it back in while the same client keeps issuing, and every write must be applied in
/// issue order — checked with the zxid every reply carries (zxids grow with the order the leader applied writes).
/// Each test runs 20 rounds with continuations both inline and on the thread pool.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class OrderingTests(SharedServerFixture fixture)
{
    private const int Rounds = 20;
    private const int PerPhase = 100;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SetData_issued_while_cut_off_and_while_reconnecting_apply_in_issue_order(bool asyncContinuations)
    {
        await using var rig = await Rig.StartAsync(fixture, asyncContinuations);
        var node = await rig.CreateNodeAsync("setdata");
        for (var round = 0; round < Rounds; round++)
        {
            var issued = await rig.IssueAcrossReconnectAsync(i => Write.SetData(rig.Client, node, Value(round, i)));
            var results = await Write.AwaitAllAsync(issued);
            Write.AssertIssueOrder(results, $"round {round}");

            // Reply versions grow one by one in issue order, and the last value issued is the one that stays.
            for (var i = 1; i < results.Length; i++)
            {
                Assert.Equal(results[i - 1].Version + 1, results[i].Version);
            }

            var stored = await rig.Direct.GetDataAsync(node);
            Assert.Equal(Value(round, issued.Count - 1), Encoding.UTF8.GetString(stored.Data));
            Assert.Equal(results[^1].Version, stored.Stat.Version);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sequential_creates_issued_across_a_reconnect_get_sequence_numbers_in_issue_order(bool asyncContinuations)
    {
        await using var rig = await Rig.StartAsync(fixture, asyncContinuations);
        var parent = await rig.CreateNodeAsync("seq");
        var previous = -1L;
        for (var round = 0; round < Rounds; round++)
        {
            var issued = await rig.IssueAcrossReconnectAsync(i => Write.CreateSequential(rig.Client, parent + "/s-", Value(round, i)));
            var results = await Write.AwaitAllAsync(issued);
            Write.AssertIssueOrder(results, $"round {round}");
            foreach (var r in results)
            {
                var sequence = long.Parse(r.Path![^10..], CultureInfo.InvariantCulture);
                Assert.True(sequence == previous + 1, $"round {round}: sequence {sequence} after {previous}");
                previous = sequence;
            }
        }

        Assert.Equal(Rounds * PerPhase * 2, (await rig.Direct.GetChildrenAsync(parent)).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_mix_of_setData_creates_deletes_and_multi_across_a_reconnect_applies_in_issue_order(bool asyncContinuations)
    {
        await using var rig = await Rig.StartAsync(fixture, asyncContinuations);
        var node = await rig.CreateNodeAsync("mix");
        for (var round = 0; round < Rounds; round++)
        {
            var issued = await rig.IssueAcrossReconnectAsync(i => (i % 4) switch
            {
                0 => Write.SetData(rig.Client, node, Value(round, i)),
                1 => Write.CreateSequential(rig.Client, node + "/c-", Value(round, i)),
                2 => Write.Multi(rig.Client, node, node + "/m-", Value(round, i)),
                _ => Write.CreateAndDelete(rig.Client, $"{node}/t-{round}-{i}"),
            });
            var results = await Write.AwaitAllAsync(issued);
            Write.AssertIssueOrder(results, $"round {round}");
        }
    }

    private static string Value(int round, int i) => $"r{round}-{i}";

    /// <summary>A client behind a proxy (to cut it off) and a direct one (to look).</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TcpProxy _proxy;
        private readonly List<string> _nodes = [];

        private Rig(TcpProxy proxy, ZooKeeperClient client, ZooKeeperClient direct)
        {
            _proxy = proxy;
            Client = client;
            Direct = direct;
        }

        public ZooKeeperClient Client { get; }

        public ZooKeeperClient Direct { get; }

        public static async Task<Rig> StartAsync(SharedServerFixture fixture, bool asyncContinuations)
        {
            var proxy = new TcpProxy(fixture.Server.Port);
            var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
            {
                ConnectString = proxy.ConnectString,
                SessionTimeout = TimeSpan.FromSeconds(20),
                ReconnectBackoff = TimeSpan.FromMilliseconds(50),
                RunContinuationsAsynchronously = asyncContinuations,
            });
            var direct = await Clients.ConnectAsync(fixture.Server.ConnectString);
            return new Rig(proxy, client, direct);
        }

        public async Task<string> CreateNodeAsync(string name)
        {
            var path = Clients.UniquePath("order-" + name);
            await Direct.CreateAsync(path);
            _nodes.Add(path);
            return path;
        }

        /// <summary>
        /// Cuts the client off, issues <see cref="PerPhase"/> writes (they wait), lets it back in and issues
        /// <see cref="PerPhase"/> more from the same thread while it reconnects — a few while still cut off, most
        /// while the connection comes up and after — all without awaiting any of them.
        /// </summary>
        public async Task<List<Task<Write>>> IssueAcrossReconnectAsync(Func<int, Task<Write>> issue)
        {
            var issued = new List<Task<Write>>(2 * PerPhase);
            _proxy.Block();
            await Wait.UntilAsync(() => Client.State == ConnectionState.Suspended, what: "SUSPENDED after the cut");
            for (var i = 0; i < PerPhase; i++)
            {
                issued.Add(issue(i));
            }

            _proxy.Unblock();
            for (var i = PerPhase; i < 2 * PerPhase; i++)
            {
                issued.Add(issue(i));
                if (i % 5 == 0)
                {
                    // Spread the second half over the reconnect (~backoff + handshake), a little at a time.
                    await Task.Delay(1);
                }
            }

            await Client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));
            return issued;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in _nodes)
            {
                await Direct.DeleteRecursiveAsync(node);
            }

            await Client.DisposeAsync();
            await Direct.DisposeAsync();
            await _proxy.DisposeAsync();
        }
    }

    /// <summary>One write's outcome: the zxid it was applied at, plus what each kind reports.</summary>
    private sealed record Write(long Zxid, int Version = -1, string? Path = null)
    {
        public static async Task<Write> SetData(ZooKeeperClient client, string node, string value)
        {
            var stat = await client.SetDataAsync(node, Encoding.UTF8.GetBytes(value));
            return new Write(stat.Mzxid, stat.Version);
        }

        public static async Task<Write> CreateSequential(ZooKeeperClient client, string prefix, string value)
        {
            var created = await client.CreateAsync(prefix, Encoding.UTF8.GetBytes(value), CreateMode.PersistentSequential);
            return new Write(created.Stat.Czxid, Path: created.Path);
        }

        public static async Task<Write> Multi(ZooKeeperClient client, string node, string prefix, string value)
        {
            var results = await client.MultiAsync([Op.Check(node, -1), Op.SetData(node, Encoding.UTF8.GetBytes(value)), Op.Create(prefix, default, CreateMode.PersistentSequential)]);
            var set = Assert.IsType<SetDataOpResult>(results[1]);
            return new Write(set.Stat.Mzxid, set.Stat.Version);
        }

        /// <summary>A transaction that creates a container node and deletes it again; the create's Stat carries the transaction's zxid.</summary>
        public static async Task<Write> CreateAndDelete(ZooKeeperClient client, string path)
        {
            var results = await client.MultiAsync([Op.Create(path, default, CreateMode.Container), Op.Delete(path)]);
            var created = Assert.IsType<CreateOpResult>(results[0]);
            Assert.NotNull(created.Stat);
            return new Write(created.Stat.Value.Czxid, Path: created.Path);
        }

        public static async Task<Write[]> AwaitAllAsync(List<Task<Write>> issued)
            => await Task.WhenAll(issued).WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>Every write was applied after the one issued before it.</summary>
        public static void AssertIssueOrder(Write[] results, string what)
        {
            for (var i = 1; i < results.Length; i++)
            {
                Assert.True(results[i].Zxid > results[i - 1].Zxid, $"{what}: write {i} applied at zxid 0x{results[i].Zxid:x}, not after write {i - 1} (0x{results[i - 1].Zxid:x})");
            }
        }
    }
}

/// <summary>Queued requests leave the FIFO on their own deadline or cancellation, without disturbing the others.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class QueueLeavingTests(SharedServerFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancelled_and_timed_out_queued_requests_are_never_sent_and_the_rest_apply_in_order(bool asyncContinuations)
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var direct = await Clients.ConnectAsync(fixture.Server.ConnectString);
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = proxy.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(20),
            DisconnectedRequestTimeout = TimeSpan.FromSeconds(2),
            ReconnectBackoff = TimeSpan.FromMilliseconds(50),
            RunContinuationsAsynchronously = asyncContinuations,
        });
        var node = Clients.UniquePath("leave");
        await direct.CreateAsync(node);
        var before = (await direct.ExistsAsync(node))!.Value.Version;

        proxy.Block();
        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended);

        // Early: A (will time out) interleaved with C (cancelled at once).
        var (early, earlyCancelled) = Issue(client, node, "A", "C");
        await Task.Delay(TimeSpan.FromMilliseconds(1200));

        // Late: B (will be sent) interleaved with D (cancelled at once); B's deadline is ~1.2 s after A's.
        var (late, lateCancelled) = Issue(client, node, "B", "D");

        foreach (var task in earlyCancelled.Concat(lateCancelled))
        {
            var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task).WithTimeout();
            Assert.Contains("before it was sent", cancelled.Message);
        }

        foreach (var task in early)
        {
            var expired = await Assert.ThrowsAsync<ConnectionLossException>(() => task).WithTimeout();
            Assert.Contains("never sent", expired.Message);
        }

        Assert.All(late, t => Assert.False(t.IsCompleted, "a late request gave up with the early ones"));
        proxy.Unblock();
        var stats = await Task.WhenAll(late).WithTimeout();
        for (var i = 0; i < stats.Length; i++)
        {
            Assert.Equal(before + i + 1, stats[i].Version);
        }

        var stored = await direct.GetDataAsync(node);
        Assert.Equal(before + late.Count, stored.Stat.Version);
        Assert.Equal("B9", Encoding.UTF8.GetString(stored.Data));
        await direct.DeleteAsync(node);
    }

    private static (List<Task<Stat>> Kept, List<Task<Stat>> Cancelled) Issue(ZooKeeperClient client, string node, string kept, string cancelled)
    {
        var keptTasks = new List<Task<Stat>>();
        var cancelledTasks = new List<Task<Stat>>();
        var sources = new List<CancellationTokenSource>();
        for (var i = 0; i < 10; i++)
        {
            keptTasks.Add(client.SetDataAsync(node, Encoding.UTF8.GetBytes(kept + i)).AsTask());
            var cts = new CancellationTokenSource();
            sources.Add(cts);
            cancelledTasks.Add(client.SetDataAsync(node, Encoding.UTF8.GetBytes(cancelled + i), cancellationToken: cts.Token).AsTask());
        }

        foreach (var cts in sources)
        {
            cts.Cancel();
        }

        return (keptTasks, cancelledTasks);
    }
}
