using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests;

/// <summary>
/// The container's lifecycle: the state stream's publisher is a participant of its own, only there when a stream
/// provider is named; the CONNECTED work never runs twice at once while the connection flaps; stopping waits for
/// events, not for fixed times.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ContainerLifecycleTests(ServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private string Url(string path) => $"zookeeper://{fixture.Server.ConnectString}{path}";

    /// <summary>Records subscriptions; the test looks at them.</summary>
    private sealed class RecordingLifecycle : ISiloLifecycle
    {
        public List<(string Name, int Stage)> Observers { get; } = [];

        public int HighestCompletedStage => 0;

        public int LowestStoppedStage => 0;

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            Observers.Add((observerName, stage));
            return new Nothing();
        }

        private sealed class Nothing : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }

    [Fact]
    public async Task The_state_publisher_takes_part_in_the_silo_lifecycle_only_for_a_container_that_names_a_stream_provider()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddZooKeeperContainer("quiet", o => o.Url = Url("/quiet"));
        services.AddZooKeeperContainer("loud", o =>
        {
            o.Url = Url("/loud");
            o.StreamProviderName = "states";
        });
        await using var provider = services.BuildServiceProvider();
        var lifecycle = new RecordingLifecycle();
        foreach (var participant in provider.GetServices<ILifecycleParticipant<ISiloLifecycle>>())
        {
            participant.Participate(lifecycle);
        }

        Assert.Equal([("ZooKeeperContainer.quiet", ServiceLifecycleStage.RuntimeInitialize)], lifecycle.Observers.Where(o => o.Name.Contains(".quiet", StringComparison.Ordinal)));
        Assert.Equal(
            [("ZooKeeperContainer.loud", ServiceLifecycleStage.RuntimeInitialize), ("ZooKeeperContainer.loud.state.check", ServiceLifecycleStage.RuntimeInitialize - 1), ("ZooKeeperContainer.loud.state", ServiceLifecycleStage.Active)],
            lifecycle.Observers.Where(o => o.Name.Contains(".loud", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task While_the_connection_flaps_the_connected_work_never_overlaps_and_runs_again_after_the_last_reconnect()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var path = "/flap-" + Guid.NewGuid().ToString("N")[..8];
        await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });
        await using var container = new ZooKeeperContainer("flap", ZooKeeperTargetResolver.Resolve($"zookeeper://{proxy.ConnectString}{path}", null), new ZooKeeperContainerOptions
        {
            ConfigureClient = c =>
            {
                c.SessionTimeout = TimeSpan.FromSeconds(4);
                c.ReconnectBackoff = TimeSpan.FromMilliseconds(20);
            },
        });
        var connected = 0;
        container.StateChanged += (_, e) =>
        {
            if (e.State == ZooKeeperContainerState.Connected)
            {
                Interlocked.Increment(ref connected);
            }
        };
        await container.StartAsync();
        var advertisement = await container.AdvertiseAsync("me"u8.ToArray(), "members/m-");
        var session = container.Client.SessionId;
        string? deleted = null;

        // Each cycle: the connection drops right after it came back, so the work a CONNECTED started is still waiting
        // for the server (its requests queue while SUSPENDED) when the next CONNECTED comes.
        for (var cycle = 0; cycle < 6; cycle++)
        {
            proxy.Block();
            await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Suspended, Timeout, $"SUSPENDED in cycle {cycle}");
            if (cycle == 3)
            {
                // Removed from outside while cut off: the work after the last reconnect must bring it back.
                deleted = advertisement.CurrentPath;
                await observer.DeleteAsync(advertisement.CurrentPath!);
            }

            proxy.Unblock();
            await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Connected, Timeout, $"CONNECTED in cycle {cycle}");
        }

        await TestWait.UntilAsync(
            async () => await observer.ExistsAsync(advertisement.CurrentPath!) is { } stat && stat.EphemeralOwner == container.Client.SessionId,
            Timeout,
            "the advertisement re-created after the last reconnect");
        Assert.Equal(session, container.Client.SessionId);
        var members = await observer.GetChildrenAsync(path + "/members");
        var owners = new List<string>();
        foreach (var m in members)
        {
            owners.Add($"{m}: 0x{(await observer.ExistsAsync(path + "/members/" + m))?.EphemeralOwner:x}");
        }

        Assert.True(members.Count == 1, $"session 0x{container.Client.SessionId:x}, current {advertisement.CurrentPath}, deleted {deleted}: {string.Join(", ", owners)}");
        Assert.False(container.WorkOverlapped);
        Assert.InRange(container.WorkRuns, 1, Volatile.Read(ref connected));
        await observer.DeleteRecursiveAsync(path);
    }

    [Fact]
    public async Task Stopping_a_container_whose_session_has_expired_takes_no_fixed_wait_ends_its_state_stream_and_its_LOST_names_the_lost_session()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var path = "/expired-" + Guid.NewGuid().ToString("N")[..8];
        var container = new ZooKeeperContainer("expired", ZooKeeperTargetResolver.Resolve($"zookeeper://{proxy.ConnectString}{path}", null), new ZooKeeperContainerOptions
        {
            ConfigureClient = c =>
            {
                c.SessionTimeout = TimeSpan.FromSeconds(1);
                c.ReconnectAfterExpiry = false;
            },
        });
        try
        {
            var changes = container.StateChangesAsync();
            var seen = new List<ZooKeeperContainerStateChanged>();
            var reading = Task.Run(async () =>
            {
                await foreach (var e in changes)
                {
                    lock (seen)
                    {
                        seen.Add(e);
                    }
                }
            });
            await container.StartAsync();
            var session = container.Client.SessionId;

            // Cut off past the session timeout: the server expires the session; back again, the client learns it
            // and stays LOST (no new session).
            proxy.Block();
            await TestWait.UntilAsync(async () => !(await fixture.Server.FourLetterWordAsync("dump")).Contains($"0x{session:x}", StringComparison.OrdinalIgnoreCase), Timeout, "the server expired the session");
            proxy.Unblock();
            await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Lost, Timeout, "LOST after expiry");

            // Stopping an already LOST container: the client posts no further LOST, and nothing waits for one.
            var watch = Stopwatch.StartNew();
            await container.StopAsync();
            watch.Stop();
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"StopAsync took {watch.Elapsed.TotalSeconds:0.0} s");
            await reading.WaitAsync(Timeout);
            lock (seen)
            {
                Assert.Equal([ZooKeeperContainerState.Connected, ZooKeeperContainerState.Suspended, ZooKeeperContainerState.Lost], seen.Take(3).Select(e => e.State));
                Assert.Equal(ZooKeeperContainerState.Lost, seen[^1].State);

                // LOST names the session that was lost (not 0), shown in hex as logs and health data show it.
                Assert.All(seen.Take(3), e => Assert.Equal(session, e.SessionId));
                Assert.Contains($"SessionId = 0x{session:x},", seen[2].ToString(), StringComparison.Ordinal);
                Assert.Equal($"0x{session:x}", SessionIds.Format(session));
            }
        }
        finally
        {
            await container.DisposeAsync();
            await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });
            await observer.DeleteRecursiveAsync(path);
        }
    }

    [Fact]
    public async Task A_container_configured_from_an_asab_ini_file_connects_with_its_own_section_falling_back_to_zookeeper()
    {
        var path = "asab-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine(Path.GetTempPath(), $"asab-{Guid.NewGuid():N}.ini");
        File.WriteAllText(file, $"""
            [zookeeper]
            servers={fixture.Server.ConnectString}
            path={path}
            timeout=10s

            [zookeeper-library]
            servers=
            timeout=4s
            """);
        try
        {
            var configuration = new ConfigurationBuilder().AddIniFile(file).Build();
            using var loggerFactory = LoggerFactory.Create(_ => { });
            await using var library = ZooKeeperContainer.Create("library", "zookeeper:./library", configuration, "zookeeper-library", loggerFactory);
            Assert.Equal(fixture.Server.ConnectString, library.Target.ConnectString);
            Assert.Equal("configuration key 'zookeeper:servers'", library.Target.ServersSource);
            Assert.Equal($"/{path}/library", library.BasePath);
            Assert.Equal(TimeSpan.FromSeconds(4), library.Target.SessionTimeout);
            await library.StartAsync();
            Assert.NotNull(await library.Client.ExistsAsync($"/{path}/library"));

            await using var main = ZooKeeperContainer.Create("main", null, configuration, loggerFactory: loggerFactory);
            Assert.Equal(TimeSpan.FromSeconds(10), main.Target.SessionTimeout);
            await main.StartAsync();
            Assert.Equal($"/{path}", main.BasePath);
            await main.Client.DeleteRecursiveAsync(main.BasePath);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
