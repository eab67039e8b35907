using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>Leader election between containers in this process: hand-over, announcements, suspension policies.</summary>
[Collection(ServerCollection.Name)]
public sealed class ElectionTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    [Fact]
    public async Task Step_down_hands_over_at_once_set_up_rejoins_and_announcements_come_in_order()
    {
        var path = NewPath("election");
        await using var a = await StartContainerAsync("a", Servers, path);
        await using var b = await StartContainerAsync("b", Servers, path);
        await using var electionA = a.CreateLeaderElection("jobs", new ZooKeeperLeaderElectionOptions { ParticipantId = "A" });
        await using var electionB = b.CreateLeaderElection("jobs", new ZooKeeperLeaderElectionOptions { ParticipantId = "B" });
        var seenA = new Recorder<ZooKeeperLeaderStateChanged>();
        var seenB = new Recorder<ZooKeeperLeaderStateChanged>();
        electionA.StateChanged += seenA.Add;
        electionB.StateChanged += seenB.Add;
        var streamB = new List<ZooKeeperLeaderStateChanged>();
        var readingB = Task.Run(async () => { await foreach (var e in electionB.StateChangesAsync()) { lock (streamB) { streamB.Add(e); } } });

        await electionA.StartAsync();
        await UntilAsync(() => electionA.IsLeader, "A leads");
        await electionB.StartAsync();
        await UntilAsync(() => seenB.Items.Count == 1, "B announced FOLLOWER");
        var tokenA = electionA.FencingToken;
        Assert.True(tokenA > 0);
        Assert.False(electionB.IsLeader);
        Assert.Equal(0, electionB.FencingToken);
        Assert.Equal(path + "/election/jobs", electionA.Path);
        await UntilAsync(() => electionB.Leader is { IsSelf: false } l && l.FencingToken == tokenA, "B sees A as the leader");
        Assert.Contains("participant: A", electionB.Leader!.Text, StringComparison.Ordinal);

        // Another scope elects on its own.
        await using var reports = b.CreateLeaderElection("reports");
        await reports.StartAsync();
        await UntilAsync(() => reports.IsLeader, "B leads the other scope");

        // A steps down: it stops leading at the call, B takes over with a larger token.
        var stepping = electionA.StepDown();
        Assert.False(electionA.IsLeader);
        await stepping;
        await UntilAsync(() => electionB.IsLeader, "B leads");
        var tokenB = electionB.FencingToken;
        Assert.True(tokenB > tokenA);
        Assert.Single(await a.Client.GetChildrenAsync(electionA.Path));

        // A sets up again: it queues behind B, and leads once B steps down.
        await electionA.SetUp();
        await UntilAsync(async () => (await a.Client.GetChildrenAsync(electionA.Path)).Count == 2, "A queued again");
        Assert.False(electionA.IsLeader);
        await electionB.StepDown();
        await UntilAsync(() => electionA.IsLeader, "A leads again");
        Assert.True(electionA.FencingToken > tokenB);
        await UntilAsync(() => seenA.Items.Count == 3 && seenB.Items.Count == 3, "all announcements delivered");

        Assert.Equal(
            [(ZooKeeperLeaderStates.Leader, tokenA), (ZooKeeperLeaderStates.Follower, 0L), (ZooKeeperLeaderStates.Leader, electionA.FencingToken)],
            seenA.Items.Select(e => (e.Name, e.FencingToken)));
        Assert.Equal(
            [(ZooKeeperLeaderStates.Follower, 0L), (ZooKeeperLeaderStates.Leader, tokenB), (ZooKeeperLeaderStates.Follower, 0L)],
            seenB.Items.Select(e => (e.Name, e.FencingToken)));
        Assert.All(seenA.Items, e => Assert.Equal(("a", "jobs", "A"), (e.ContainerName, e.Scope, e.ParticipantId)));
        Assert.Equal("stepped down", seenA.Items[1].Reason);
        lock (streamB)
        {
            Assert.Equal(seenB.Items, streamB);
        }
    }

    [Fact]
    public async Task A_suspended_leader_stops_at_once_and_leads_again_with_the_same_token_when_its_session_survives()
    {
        await using var pair = await CutOffPair.StartAsync(fixture.Server, ZooKeeperSuspensionPolicy.GiveUp);
        var (a, electionA) = (pair.A, pair.ElectionA);
        var token = electionA.FencingToken;
        var session = a.Client.SessionId;

        pair.Proxy.Block();
        await UntilAsync(() => a.Client.State == ConnectionState.Suspended, "A suspended");
        Assert.False(electionA.IsLeader); // on the spot, whether or not the announcement went out yet
        Assert.Equal(0, electionA.FencingToken);
        pair.Proxy.Unblock();

        // IsLeader turns true before the StateChanged handlers run: wait for the announcement too.
        await UntilAsync(() => electionA.IsLeader && pair.SeenA.Items.Count >= 3, "A leads again and announced it");

        Assert.Equal(session, a.Client.SessionId);
        Assert.Equal(token, electionA.FencingToken);
        Assert.Equal([true, false, true], pair.SeenA.Items.Select(e => e.IsLeader));
        Assert.Equal("the connection to ZooKeeper was suspended", pair.SeenA.Items[1].Reason);
        Assert.Equal([token, 0, token], pair.SeenA.Items.Select(e => e.FencingToken)); // a FOLLOWER! holds no token
        Assert.DoesNotContain(pair.SeenB.Items, e => e.IsLeader);
    }

    [Fact]
    public async Task Under_the_keep_policy_a_short_disconnection_is_ridden_out_and_a_long_one_ends_leadership_before_anyone_else_leads()
    {
        await using var pair = await CutOffPair.StartAsync(fixture.Server, ZooKeeperSuspensionPolicy.KeepWhileSessionLeaseHolds);
        var (a, electionA) = (pair.A, pair.ElectionA);
        bool? aLedWhenBTookOver = null;
        string? atTakeover = null;
        var blocked = System.Diagnostics.Stopwatch.StartNew();
        var sessionA = a.Client.SessionId;
        pair.ElectionB.StateChanged += (_, e) =>
        {
            if (e.IsLeader && aLedWhenBTookOver is null)
            {
                var lease = a.Client.GetSessionLease(sessionA);
                aLedWhenBTookOver = electionA.IsLeader;
                Volatile.Write(ref atTakeover, $"B led {blocked.ElapsedMilliseconds} ms after the second cut; A's lease then {lease.TotalMilliseconds:0} ms, A's state {a.Client.State}, A's session 0x{a.Client.SessionId:x} (was 0x{sessionA:x})");
            }
        };

        // Short: A keeps leading while SUSPENDED (its session lease still runs) and after reconnecting.
        pair.Proxy.Block();
        await UntilAsync(() => a.Client.State == ConnectionState.Suspended, "A suspended");
        Assert.True(electionA.IsLeader, "A keeps leading while its session lease holds");
        pair.Proxy.Unblock();
        await UntilAsync(() => a.Client.State == ConnectionState.Connected, "A reconnected");
        Assert.True(electionA.IsLeader);
        Assert.Single(pair.SeenA.Items);

        // Long: A stops when its lease runs out — before the server expires its session and B can take over.
        blocked.Restart();
        pair.Proxy.Block();
        // (Waits for this handler, not the recorder: B's handlers run one after the other.)
        await UntilAsync(() => Volatile.Read(ref atTakeover) is not null, "B leads after A's session expired");
        Assert.False(aLedWhenBTookOver, "A must not believe it leads once B does: " + atTakeover);
        var stopped = Assert.Single(pair.SeenA.Items, e => !e.IsLeader);
        Assert.StartsWith("the session lease ran out", stopped.Reason, StringComparison.Ordinal);
        Assert.Equal(0, stopped.FencingToken);
        Assert.True(pair.SeenB.Items.Last().FencingToken > pair.SeenA.Items[0].FencingToken);
        Assert.False(electionA.IsLeader);
    }

    /// <summary>A (through a proxy the test can cut, 4 s session, the given policy) leads; B (direct) follows.</summary>
    private sealed class CutOffPair : IAsyncDisposable
    {
        private CutOffPair(TcpProxy proxy, ZooKeeperContainer a, ZooKeeperContainer b, ZooKeeperLeaderElection electionA, ZooKeeperLeaderElection electionB)
            => (Proxy, A, B, ElectionA, ElectionB) = (proxy, a, b, electionA, electionB);

        public TcpProxy Proxy { get; }

        public ZooKeeperContainer A { get; }

        public ZooKeeperContainer B { get; }

        public ZooKeeperLeaderElection ElectionA { get; }

        public ZooKeeperLeaderElection ElectionB { get; }

        public Recorder<ZooKeeperLeaderStateChanged> SeenA { get; } = new();

        public Recorder<ZooKeeperLeaderStateChanged> SeenB { get; } = new();

        public static async Task<CutOffPair> StartAsync(ZooKeeperServer server, ZooKeeperSuspensionPolicy policy)
        {
            var path = NewPath("election");
            var proxy = new TcpProxy(server.Port);
            var a = await StartContainerAsync("a", proxy.ConnectString, path, TimeSpan.FromSeconds(4));
            var b = await StartContainerAsync("b", server.ConnectString, path);
            var pair = new CutOffPair(proxy, a, b, a.CreateLeaderElection("jobs", new ZooKeeperLeaderElectionOptions { SuspensionPolicy = policy }), b.CreateLeaderElection("jobs"));
            pair.ElectionA.StateChanged += pair.SeenA.Add;
            pair.ElectionB.StateChanged += pair.SeenB.Add;
            await pair.ElectionA.StartAsync();
            await UntilAsync(() => pair.ElectionA.IsLeader, "A leads");
            await pair.ElectionB.StartAsync();
            await UntilAsync(() => pair.SeenB.Items.Count == 1, "B follows");
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await ElectionA.DisposeAsync();
            await ElectionB.DisposeAsync();
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Proxy.DisposeAsync();
        }
    }
}
