using System.Diagnostics;
using Orleans.ZooKeeper.Client;
using Xunit.Abstractions;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>
/// The election's public calls racing its own round loop: stepping down, stopping and disposing just as a participant
/// wins. After any of them IsLeader is false and FencingToken 0 until a later SetUp wins a fresh round, and there is
/// never a moment with two leaders.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ElectionRaceTests(ServerFixture fixture, ITestOutputHelper output)
{
    private string Servers => fixture.Server.ConnectString;

    /// <summary>
    /// The scenario found from outside (public API only): B steps down the moment its <c>Leader.IsSelf</c> turns true —
    /// it is about to start its term — while A steps down to let it in. Before the fix B kept IsLeader true with its
    /// old token after StepDown returned, also once A led again.
    /// </summary>
    [Fact]
    public async Task A_participant_stepping_down_just_as_it_wins_is_no_leader_afterwards_and_never_leads_beside_another()
    {
        await using var pair = await RacePair.StartAsync(Servers);
        var (a, electionA, electionB, watchdog) = (pair.A, pair.ElectionA, pair.ElectionB, pair.Watchdog);

        var failures = new List<string>();
        var hit = 0;
        for (var i = 0; i < 200 && failures.Count < 5; i++)
        {
            var racing = StepDownWhenAboutToLead(electionB);
            await electionA.StepDown().WaitAsync(Patience);
            var (steppingDown, sawIsSelf) = await racing.WaitAsync(Patience);
            hit += sawIsSelf ? 1 : 0;
            if (electionB.IsLeader || electionB.FencingToken != 0)
            {
                failures.Add($"iteration {i}: right after StepDown() was called B still leads (token 0x{electionB.FencingToken:x})");
            }

            await steppingDown.WaitAsync(Patience);
            if (electionB.IsLeader || electionB.FencingToken != 0 || electionB.IsParticipating)
            {
                failures.Add($"iteration {i}: after StepDown() returned B leads={electionB.IsLeader} token=0x{electionB.FencingToken:x} participating={electionB.IsParticipating}");
            }

            await electionA.SetUp();
            await UntilSoonAsync(() => electionA.IsLeader, "A leads again");
            if (electionB.IsLeader)
            {
                failures.Add($"iteration {i}: A leads again (0x{electionA.FencingToken:x}) and B still believes it leads (0x{electionB.FencingToken:x})");
            }

            await electionB.SetUp();
            await UntilQueuedAsync(a.Client, electionA.Path, 2);
            await UntilSoonAsync(() => electionB.Leader is { IsSelf: false }, "B sees A lead");
        }

        output.WriteLine($"B saw itself first before stepping down in {hit} iterations; watchdog: {watchdog.Samples} samples");
        Assert.Empty(failures);
        Assert.Empty(watchdog.Violations);
    }

    /// <summary>The same race with StopAsync (a silo shutting down just as it wins) and with DisposeAsync.</summary>
    [Fact]
    public async Task A_participant_stopped_or_disposed_just_as_it_wins_is_no_leader_afterwards()
    {
        var path = NewPath("election-race");
        await using var a = await StartContainerAsync("a", Servers, path);
        await using var b = await StartContainerAsync("b", Servers, path);
        await using var electionA = a.CreateLeaderElection("race", new ZooKeeperLeaderElectionOptions { ParticipantId = "A" });
        ZooKeeperLeaderElection? current = null;
        using var watchdog = new ClaimWatchdog(() => [("A", electionA.FencingToken), ("B", Volatile.Read(ref current)?.FencingToken ?? 0)]);
        await electionA.StartAsync();
        await UntilSoonAsync(() => electionA.IsLeader, "A leads");

        var failures = new List<string>();
        for (var i = 0; i < 50 && failures.Count < 5; i++)
        {
            var electionB = b.CreateLeaderElection("race", new ZooKeeperLeaderElectionOptions { ParticipantId = "B" + i });
            Volatile.Write(ref current, electionB);
            await electionB.StartAsync();
            await UntilQueuedAsync(a.Client, electionA.Path, 2);
            var dispose = i % 2 == 1;
            var racing = Task.Factory.StartNew(
                () =>
                {
                    SpinUntilAboutToLead(electionB);
                    return dispose ? electionB.DisposeAsync().AsTask() : electionB.StopAsync();
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            await electionA.StepDown().WaitAsync(Patience);
            var stopping = await racing.WaitAsync(Patience);
            await stopping.WaitAsync(Patience);
            if (electionB.IsLeader || electionB.FencingToken != 0)
            {
                failures.Add($"iteration {i}: after {(dispose ? "DisposeAsync" : "StopAsync")} B still leads (0x{electionB.FencingToken:x})");
            }

            await Assert.ThrowsAsync<ObjectDisposedException>(() => electionB.SetUp());
            await electionA.SetUp();
            await UntilSoonAsync(() => electionA.IsLeader, "A leads again");
            if (electionB.IsLeader)
            {
                failures.Add($"iteration {i}: A leads again and the stopped B still believes it leads");
            }
        }

        Assert.Empty(failures);
        Assert.Empty(watchdog.Violations);
        Assert.Single(await a.Client.GetChildrenAsync(electionA.Path)); // no node of a stopped participant left behind
    }

    /// <summary>
    /// Thousands of rounds with the public transitions fired at the very moment a round is about to start a term (the
    /// loop's test point), at once or after a few yields: StepDown, StepDown then SetUp, or nothing. The invariants
    /// are checked after every call.
    /// </summary>
    [Fact]
    public async Task Transitions_fired_at_the_grant_point_keep_every_invariant_over_thousands_of_rounds()
    {
        await using var pair = await RacePair.StartAsync(Servers);
        var (a, electionA, electionB, watchdog) = (pair.A, pair.ElectionA, pair.ElectionB, pair.Watchdog);
        var random = new Random(1234);
        var failures = new List<string>();
        var fired = new int[3];
        Task? steppingDown = null;
        var action = 0;
        var yields = 0;
        var armed = 0;
        electionB.TestPoint = async point =>
        {
            if (Interlocked.Exchange(ref armed, 0) == 0)
            {
                return; // once per round of the test (B's fresh round after a SetUp passes here too)
            }

            for (var y = 0; y < yields; y++)
            {
                await Task.Yield();
            }

            if (action == 0)
            {
                return;
            }

            steppingDown = electionB.StepDown();
            if (electionB.IsLeader || electionB.FencingToken != 0)
            {
                lock (failures)
                {
                    failures.Add("B leads right after StepDown() was called at the grant point");
                }
            }

            if (action == 2)
            {
                await electionB.SetUp(); // a later SetUp: B may lead again, but only after a fresh round
            }
        };

        var clock = Stopwatch.StartNew();
        var rounds = 0;
        for (; rounds < 1500 && failures.Count == 0; rounds++)
        {
            (action, yields, steppingDown) = (random.Next(3), random.Next(3), null);
            fired[action]++;
            Volatile.Write(ref armed, 1);
            await electionA.StepDown().WaitAsync(Patience);
            if (action == 0)
            {
                await UntilSoonAsync(() => electionB.IsLeader, "B leads");
                await electionB.StepDown().WaitAsync(Patience);
            }
            else
            {
                await UntilSoonAsync(() => Volatile.Read(ref steppingDown) is not null, "the grant point fired");
                await steppingDown!.WaitAsync(Patience);
                if (action == 1 && (electionB.IsLeader || electionB.IsParticipating))
                {
                    failures.Add($"round {rounds}: B stepped down at the grant point and leads={electionB.IsLeader} participating={electionB.IsParticipating}");
                }

                if (action == 2)
                {
                    await UntilSoonAsync(() => electionB.IsLeader, "B leads after its fresh round");
                    await electionB.StepDown().WaitAsync(Patience);
                }
            }

            if (electionB.IsLeader || electionB.FencingToken != 0)
            {
                failures.Add($"round {rounds}: B leads after StepDown() returned");
            }

            await electionA.SetUp();
            await UntilSoonAsync(() => electionA.IsLeader, "A leads again");
            await electionB.SetUp();
            await UntilQueuedAsync(a.Client, electionA.Path, 2);
            await UntilSoonAsync(() => electionB.Leader is { IsSelf: false }, "B sees A lead");
        }

        output.WriteLine($"{rounds} rounds in {clock.Elapsed.TotalSeconds:0.0} s (nothing/step down/step down + set up: {string.Join("/", fired)}), watchdog {watchdog.Samples} samples");
        Assert.Empty(failures);
        Assert.Empty(watchdog.Violations);
    }

    /// <summary>On a thread of its own: waits until B is about to lead, then calls StepDown and returns its task at once.</summary>
    private static Task<(Task SteppingDown, bool SawIsSelf)> StepDownWhenAboutToLead(ZooKeeperLeaderElection election)
        => Task.Factory.StartNew(
            () =>
            {
                var sawIsSelf = SpinUntilAboutToLead(election);
                return (election.StepDown(), sawIsSelf);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    /// <summary>Spins until the participant sees itself first (it is about to start its term) or leads; true for the former.</summary>
    private static bool SpinUntilAboutToLead(ZooKeeperLeaderElection election)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (election.Leader is { IsSelf: true })
            {
                return !election.IsLeader;
            }

            if (election.IsLeader)
            {
                return false;
            }

            Thread.SpinWait(20);
        }

        throw new TimeoutException("the participant never came first");
    }

    private static Task UntilQueuedAsync(ZooKeeperClient client, string path, int count)
        => UntilSoonAsync(async () => (await client.GetChildrenAsync(path)).Count == count, $"{count} participants queued");

    /// <summary>A (leading) and B (queued behind it) on two containers, with a watchdog over both.</summary>
    private sealed class RacePair : IAsyncDisposable
    {
        private RacePair(ZooKeeperContainer a, ZooKeeperContainer b)
        {
            (A, B) = (a, b);
            ElectionA = a.CreateLeaderElection("race", new ZooKeeperLeaderElectionOptions { ParticipantId = "A" });
            ElectionB = b.CreateLeaderElection("race", new ZooKeeperLeaderElectionOptions { ParticipantId = "B" });
            Watchdog = new ClaimWatchdog(() => [("A", ElectionA.FencingToken), ("B", ElectionB.FencingToken)]);
        }

        public ZooKeeperContainer A { get; }

        public ZooKeeperContainer B { get; }

        public ZooKeeperLeaderElection ElectionA { get; }

        public ZooKeeperLeaderElection ElectionB { get; }

        public ClaimWatchdog Watchdog { get; }

        public static async Task<RacePair> StartAsync(string servers)
        {
            var path = NewPath("election-race");
            var pair = new RacePair(await StartContainerAsync("a", servers, path), await StartContainerAsync("b", servers, path));
            await pair.ElectionA.StartAsync();
            await UntilSoonAsync(() => pair.ElectionA.IsLeader, "A leads");
            await pair.ElectionB.StartAsync();
            await UntilQueuedAsync(pair.A.Client, pair.ElectionA.Path, 2);
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            Watchdog.Dispose();
            await ElectionA.DisposeAsync();
            await ElectionB.DisposeAsync();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}
