using System.Diagnostics;
using System.Globalization;
using Orleans.Clustering.ZooKeeper.TestSilo;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Orleans.Clustering.ZooKeeper.Tests.Cluster;

/// <summary>
/// Silos in separate processes on a real 3-node ensemble (see <see cref="ClusterFixture"/>). Membership timings of
/// the test silos: probe timeout 1 s, 3 missed probes to suspect, 2 votes to evict, heartbeat every 2 s, table
/// refresh every 2 s; ZooKeeper session timeout 4 s. Measured times are written to the test output.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// The bound for declaring a killed silo dead: 3 missed probes at up to the maximum probe timeout (4 × 1 s), the
    /// votes, their table writes and a refresh; generous for a busy 2-core machine.
    /// </summary>
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(3 * 4 + 8);

    [Fact]
    public async Task Three_silos_form_a_cluster_and_a_client_finds_their_gateways()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var table = await fixture.TableAsync();
        foreach (var silo in silos)
        {
            var (entry, _) = table.TryGet(silo.Address)!;
            Assert.Equal(SiloStatus.Active, entry.Status);
            Assert.Equal(silo.GatewayPort, entry.ProxyPort);
        }

        var gateways = await new ZooKeeperGatewayListProvider(fixture.Reader.Table, Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.GatewayOptions())).GetGatewaysAsync(default);
        Assert.Superset(silos.Select(s => s.GatewayPort).ToHashSet(), gateways.Select(g => g.Port).ToHashSet());

        // New activations spread over all three silos — once every silo has read the table that lists the newest one
        // (a silo places by its own view of the cluster, which follows the table a moment later).
        var client = await fixture.ClientAsync();
        var live = await LiveAddressesAsync();
        var round = 0;
        await TestWait.UntilAsync(
            async () =>
            {
                var first = 1000 + (100 * round++);
                var hosts = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => client.GetGrain<IWhereGrain>(first + i).Where()));
                Assert.All(hosts, h => Assert.Contains(h, live));
                return silos.All(s => hosts.Contains(s.Address.ToParsableString()));
            },
            TimeSpan.FromSeconds(30),
            "30 new grains placed on all three silos");
    }

    [Fact]
    public async Task A_silo_killed_with_SIGKILL_is_declared_dead_within_the_probe_timeouts_and_its_grains_reactivate_elsewhere()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var client = await fixture.ClientAsync();
        var keys = Enumerable.Range(0, 40).Select(i => 2000L + (Random.Shared.Next(1000) * 100) + i).ToArray();
        var placed = (await Task.WhenAll(keys.Select(async k => (Key: k, Host: await client.GetGrain<IWhereGrain>(k).Where())))).ToList();
        var victim = silos.OrderByDescending(s => placed.Count(p => p.Host == s.Address.ToParsableString())).First();
        var orphans = placed.Where(p => p.Host == victim.Address.ToParsableString()).Select(p => p.Key).ToList();
        Assert.NotEmpty(orphans);

        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        await TestWait.UntilAsync(async () => (await fixture.TableAsync()).TryGet(victim.Address)?.Item1.Status == SiloStatus.Dead, TimeSpan.FromSeconds(60), $"{victim} Dead in the table");
        var detected = clock.Elapsed;
        output.WriteLine($"MEASURED kill -9 -> declared Dead: {detected.TotalSeconds:0.00} s (bound {DetectionBound.TotalSeconds:0} s)");
        Assert.True(detected < DetectionBound, $"declared dead after {detected.TotalSeconds:0.0} s");

        var table = await fixture.TableAsync();
        Assert.All(silos.Where(s => s != victim), s => Assert.Equal(SiloStatus.Active, table.TryGet(s.Address)!.Item1.Status));
        var entry = table.TryGet(victim.Address)!.Item1;
        Assert.NotEmpty(entry.SuspectTimes ?? []);

        // Every grain the dead silo hosted answers again, from a surviving silo.
        var survivors = silos.Where(s => s != victim).Select(s => s.Address.ToParsableString()).ToHashSet();
        foreach (var key in orphans)
        {
            var host = await CallUntilAnsweredAsync(() => client.GetGrain<IWhereGrain>(key).Where(), TimeSpan.FromSeconds(30));
            Assert.Contains(host, survivors);
        }

        output.WriteLine($"MEASURED kill -9 -> all {orphans.Count} orphaned grains reactivated elsewhere: {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Killing_the_ensemble_leader_declares_no_silo_dead_and_membership_updates_resume()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var leader = await fixture.Ensemble.GetLeaderIndexAsync();
        Assert.True(leader >= 0);
        var before = await fixture.TableAsync();
        var killedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await fixture.Ensemble.KillNodeAsync(leader);
        try
        {
            await fixture.Ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"MEASURED leader kill -> new leader: {clock.Elapsed.TotalSeconds:0.00} s");

            // Heartbeats of every silo land again after the kill.
            await TestWait.UntilAsync(
                async () =>
                {
                    var t = await fixture.TableAsync();
                    return silos.All(s => t.TryGet(s.Address)?.Item1.IAmAliveTime > killedAt);
                },
                TimeSpan.FromSeconds(30),
                "every silo's heartbeat written after the leader was killed");
            output.WriteLine($"MEASURED leader kill -> every silo heartbeat written again: {clock.Elapsed.TotalSeconds:0.00} s");

            // A membership change goes through: a new silo joins and becomes Active.
            var joiner = await fixture.AddSiloAsync();
            await TestWait.UntilAsync(async () => (await fixture.TableAsync()).TryGet(joiner.Address)?.Item1.Status == SiloStatus.Active, TimeSpan.FromSeconds(60), $"{joiner} Active");
            output.WriteLine($"MEASURED leader kill -> a new silo joined (Active): {clock.Elapsed.TotalSeconds:0.00} s");

            var after = await fixture.TableAsync();
            Assert.True(after.Version.Version > before.Version.Version);
            Assert.All(silos, s => Assert.Equal(SiloStatus.Active, after.TryGet(s.Address)!.Item1.Status));
            Assert.All(silos, s => Assert.False(s.HasExited));
        }
        finally
        {
            await fixture.Ensemble.RestartNodeAsync(leader);
        }
    }

    [Fact]
    public async Task An_external_client_fails_over_when_its_gateway_silo_dies()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var client = await fixture.ClientAsync();
        await TestWait.UntilAsync(
            async () =>
            {
                await client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where();
                return silos.Any(s => Connections.EstablishedTo(s.GatewayPort) > 0);
            },
            TimeSpan.FromSeconds(30),
            "the client connected to a gateway");
        var gateway = silos.First(s => Connections.EstablishedTo(s.GatewayPort) > 0);

        var clock = Stopwatch.StartNew();
        await gateway.KillAsync();
        await CallUntilAnsweredAsync(() => client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where(), TimeSpan.FromSeconds(60));
        output.WriteLine($"MEASURED gateway kill -9 -> first client call answered: {clock.Elapsed.TotalSeconds:0.00} s");

        // Once the silo is declared dead the gateway list no longer has it, and calls keep working through the others.
        await TestWait.UntilAsync(async () => (await fixture.TableAsync()).TryGet(gateway.Address)?.Item1.Status == SiloStatus.Dead, TimeSpan.FromSeconds(60), $"{gateway} Dead");
        var gateways = await new ZooKeeperGatewayListProvider(fixture.Reader.Table, Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.GatewayOptions())).GetGatewaysAsync(default);
        Assert.DoesNotContain(gateway.GatewayPort, gateways.Select(g => g.Port));

        // The other silos apply the Dead row when they next read the table: until then a gateway may still place a
        // new activation on the dead silo and the call is rejected. Once they have, 20 calls in a row get through,
        // and none is ever answered by the dead silo.
        await TestWait.UntilAsync(
            async () =>
            {
                try
                {
                    for (var i = 0; i < 20; i++)
                    {
                        var host = await client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where();
                        Assert.NotEqual(gateway.Address.ToParsableString(), host);
                    }

                    return true;
                }
                catch (Exception ex) when (ex is OrleansMessageRejectionException or SiloUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "20 calls in a row through the other gateways");

        Assert.Contains(silos.Where(s => s != gateway), s => Connections.EstablishedTo(s.GatewayPort) > 0);
        output.WriteLine($"MEASURED gateway kill -9 -> dead in table, 20 calls through other gateways: {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Silos_cut_off_from_ZooKeeper_longer_than_the_session_timeout_keep_running_and_recover()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var client = await fixture.ClientAsync();
        var before = await fixture.TableAsync();
        var sessions = silos.Select(s => s.Sessions[^1]).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var proxy in fixture.Proxies)
        {
            proxy.Block();
        }

        DateTime restoredAt;
        try
        {
            // Until the ensemble has expired every silo's session (the outage outlasts the session timeout).
            try
            {
                await TestWait.UntilAsync(async () => !(await fixture.EnsembleSessionsAsync()).Overlaps(sessions), TimeSpan.FromSeconds(60), "the silos' sessions expired");
            }
            catch (TimeoutException ex)
            {
                // Keep what the ensemble says about its sessions, so a failure can be explained.
                var dumps = new System.Text.StringBuilder();
                foreach (var node in fixture.Ensemble.Nodes.Where(n => n.IsRunning))
                {
                    dumps.Append($"--- {node.ConnectString} stat:\n{await node.FourLetterWordAsync("stat")}\n--- dump:\n{await node.FourLetterWordAsync("dump")}\n--- log:\n{node.ReadLogTail(40)}\n");
                }

                var forwarded = string.Join(", ", fixture.Proxies.Select(p => $"{p.ConnectString}: {p.ConnectionCount}"));
                throw new TimeoutException($"{ex.Message}; silo sessions {string.Join(", ", sessions.Select(id => $"0x{id:x}"))}; connections the blocked proxies still forward: {forwarded}\n{dumps}", ex);
            }

            output.WriteLine($"MEASURED cut off -> sessions expired on the ensemble: {clock.Elapsed.TotalSeconds:0.00} s (session timeout {ClusterFixture.SessionTimeoutSeconds} s)");

            // Meanwhile the cluster works on the membership it has: grain calls go through, nobody dies.
            for (var i = 0; i < 20; i++)
            {
                await client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where();
            }

            Assert.All(silos, s => Assert.False(s.HasExited));
        }
        finally
        {
            restoredAt = DateTime.UtcNow;
            foreach (var proxy in fixture.Proxies)
            {
                proxy.Unblock();
            }
        }

        clock.Restart();
        await TestWait.UntilAsync(
            async () =>
            {
                var t = await fixture.TableAsync();
                return silos.All(s => t.TryGet(s.Address)?.Item1.IAmAliveTime > restoredAt);
            },
            TimeSpan.FromSeconds(60),
            "every silo's heartbeat written after ZooKeeper came back");
        output.WriteLine($"MEASURED ZooKeeper back -> every silo heartbeat written: {clock.Elapsed.TotalSeconds:0.00} s");

        // New sessions (the old ones expired), the same members, all Active, and the client still served.
        Assert.All(silos, s => Assert.NotEqual(sessions[silos.ToList().IndexOf(s)], s.Sessions[^1]));
        Assert.All(silos, s => Assert.Contains(s.Lines, l => l.StartsWith("STATE LOST", StringComparison.Ordinal)));
        var after = await fixture.TableAsync();
        Assert.All(silos, s => Assert.Equal(SiloStatus.Active, after.TryGet(s.Address)!.Item1.Status));
        Assert.Equal(before.Members.Count(m => m.Item1.Status == SiloStatus.Dead), after.Members.Count(m => m.Item1.Status == SiloStatus.Dead));
        await client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where();
    }

    [Fact]
    public async Task A_membership_row_corrupted_from_outside_fails_reads_clearly_and_no_silo_crashes()
    {
        var silos = await fixture.EnsureSilosAsync(3);
        var client = await fixture.ClientAsync();
        var target = silos[0];
        var row = $"{fixture.Reader.TablePath}/{target.Address.ToParsableString()}";
        var raw = fixture.Reader.Client;
        var good = (await raw.GetDataAsync(row)).Data;
        await raw.SetDataAsync(row, "{\"corrupted\":"u8.ToArray());
        try
        {
            // Every silo's periodic refresh fails with our message naming the node, and is logged.
            await TestWait.UntilAsync(() => silos.All(s => s.Lines.Any(l => l.Contains(row, StringComparison.Ordinal) && l.Contains("corrupt", StringComparison.Ordinal))), TimeSpan.FromSeconds(30), "each silo logged the corrupt node");
            var ex = await Assert.ThrowsAsync<ZooKeeperMembershipException>(() => fixture.TableAsync());
            Assert.Equal(row, ex.Path);
            for (var i = 0; i < 10; i++)
            {
                await client.GetGrain<IWhereGrain>(Random.Shared.Next()).Where();
            }

            Assert.All(silos, s => Assert.False(s.HasExited));
        }
        finally
        {
            await raw.SetDataAsync(row, good);
        }

        var repairedAt = DateTime.UtcNow;
        await TestWait.UntilAsync(async () => (await fixture.TableAsync()).TryGet(target.Address)?.Item1.IAmAliveTime > repairedAt, TimeSpan.FromSeconds(30), "heartbeats after the repair");
        Assert.All(silos, s => Assert.Equal(SiloStatus.Active, fixture.TableAsync().Result.TryGet(s.Address)!.Item1.Status));
    }

    private async Task<HashSet<string>> LiveAddressesAsync()
        => (await fixture.TableAsync()).Members.Where(m => m.Item1.Status == SiloStatus.Active).Select(m => m.Item1.SiloAddress.ToParsableString()).ToHashSet();

    private static async Task<string> CallUntilAnsweredAsync(Func<Task<string>> call, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
        }
    }
}

/// <summary>Established TCP connections on this machine, from /proc/net/tcp (IPv4; loopback tests only).</summary>
internal static class Connections
{
    public static int EstablishedTo(int port)
    {
        var count = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 3 && parts[3] == "01" && int.Parse(parts[2].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            {
                count++;
            }
        }

        return count;
    }
}
