using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper.Tests.Table;

/// <summary>
/// The behaviours Orleans' MembershipTableTestsBase checks for every provider, written for this one (each test names
/// the base's test it covers), with a few more assertions where the base leaves room.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class MembershipBehaviourTests(ServerFixture fixture)
{
    /// <summary>MembershipTable_ReadAll_EmptyTable.</summary>
    [Fact]
    public async Task ReadAll_of_an_empty_table_gives_version_zero_with_an_etag()
    {
        await using var t = await fixture.StartTableAsync();
        var data = await t.Membership.ReadAllAsync(default);
        Assert.Empty(data.Members);
        Assert.NotNull(data.Version.VersionEtag);
        Assert.Equal(0, data.Version.Version);
    }

    /// <summary>MembershipTable_InsertRow.</summary>
    [Fact]
    public async Task InsertRow_adds_the_row_and_moves_the_table_to_the_given_version()
    {
        await using var t = await fixture.StartTableAsync();
        var data = await t.Membership.ReadAllAsync(default);
        Assert.True(await t.Membership.InsertRowAsync(Entries.New(), data.Version.Next(), default));
        data = await t.Membership.ReadAllAsync(default);
        Assert.Equal(1, data.Version.Version);
        Assert.Single(data.Members);
    }

    /// <summary>MembershipTable_ReadRow_Insert_Read.</summary>
    [Fact]
    public async Task InsertRow_fails_for_a_duplicate_row_or_a_stale_table_version_and_ReadRow_reads_row_and_version_together()
    {
        await using var t = await fixture.StartTableAsync();
        var data = await t.Membership.ReadAllAsync(default);
        var newVersion = data.Version.Next();
        var entry = Entries.New();
        Assert.True(await t.Membership.InsertRowAsync(entry, newVersion, default));
        Assert.False(await t.Membership.InsertRowAsync(entry, newVersion, default));          // same entry, old table version
        Assert.False(await t.Membership.InsertRowAsync(Entries.New(), newVersion, default));  // new entry, old table version

        data = await t.Membership.ReadAllAsync(default);
        Assert.Equal(1, data.Version.Version);
        Assert.False(await t.Membership.InsertRowAsync(entry, data.Version.Next(), default)); // duplicate entry, current version
        data = await t.Membership.ReadAllAsync(default);
        Assert.Single(data.Members);
        Assert.Equal(1, data.Version.Version);

        data = await t.Membership.ReadRowAsync(entry.SiloAddress, default);
        Assert.Equal(newVersion.Version, data.Version.Version);
        Assert.NotEqual(newVersion.VersionEtag, data.Version.VersionEtag);
        var (read, etag) = Assert.Single(data.Members);
        Assert.NotNull(etag);
        Assert.Equal(entry.ToFullString(), read.ToFullString());

        // A silo that has no row: no members, the table version all the same.
        data = await t.Membership.ReadRowAsync(Entries.NewSilo(), default);
        Assert.Empty(data.Members);
        Assert.Equal(1, data.Version.Version);
    }

    /// <summary>MembershipTable_ReadAll_Insert_ReadAll.</summary>
    [Fact]
    public async Task ReadAll_after_InsertRow_gives_the_row_with_its_etag_and_a_new_table_etag()
    {
        await using var t = await fixture.StartTableAsync();
        var newVersion = (await t.Membership.ReadAllAsync(default)).Version.Next();
        var entry = Entries.New();
        Assert.True(await t.Membership.InsertRowAsync(entry, newVersion, default));
        var data = await t.Membership.ReadAllAsync(default);
        var (read, etag) = Assert.Single(data.Members);
        Assert.NotNull(etag);
        Assert.Equal(entry.ToFullString(), read.ToFullString());
        Assert.NotEqual(newVersion.VersionEtag, data.Version.VersionEtag);
        Assert.Equal(newVersion.Version, data.Version.Version);
    }

    /// <summary>MembershipTable_UpdateRow: every combination of row ETag and table ETag, nine rows.</summary>
    [Fact]
    public async Task UpdateRow_needs_both_the_row_etag_and_the_table_etag()
    {
        await using var t = await fixture.StartTableAsync();
        var table = await t.Membership.ReadAllAsync(default);
        Assert.Equal(0, table.Version.Version);
        for (var i = 1; i < 10; i++)
        {
            var entry = Entries.New();
            entry.SuspectTimes = [Tuple.Create(Entries.NewSilo(), Entries.NowSeconds().AddSeconds(1)), Tuple.Create(Entries.NewSilo(), Entries.NowSeconds().AddSeconds(2))];
            var version = table.Version.Next();
            Assert.True(await t.Membership.InsertRowAsync(entry, version, default));
            table = await t.Membership.ReadAllAsync(default);
            var etagBefore = table.TryGet(entry.SiloAddress)?.Item2;
            Assert.NotNull(etagBefore);

            // Correct row ETag, stale table version.
            Assert.False(await t.Membership.UpdateRowAsync(entry, etagBefore, version, default));
            table = await t.Membership.ReadAllAsync(default);

            version = table.Version.Next();
            entry.Status = SiloStatus.Active;
            Assert.True(await t.Membership.UpdateRowAsync(entry, etagBefore, version, default));

            // Stale row ETag (the table version is stale too now).
            Assert.False(await t.Membership.UpdateRowAsync(entry, etagBefore, version, default));
            table = await t.Membership.ReadAllAsync(default);
            var (read, etagAfter) = table.TryGet(entry.SiloAddress)!;
            Assert.Equal(entry.ToFullString(), read.ToFullString());
            Assert.NotEqual(etagBefore, etagAfter);

            // Stale row ETag with the current table version: the row check alone refuses.
            Assert.False(await t.Membership.UpdateRowAsync(entry, etagBefore, table.Version.Next(), default));

            // Current row ETag, stale table version.
            Assert.False(await t.Membership.UpdateRowAsync(entry, etagAfter, version, default));
            table = await t.Membership.ReadAllAsync(default);
            Assert.Equal(etagAfter, table.TryGet(entry.SiloAddress)?.Item2);
            Assert.Equal(version.Version, table.Version.Version);
            Assert.Equal(i, table.Members.Count);
        }

        // A row that does not exist cannot be updated.
        Assert.False(await t.Membership.UpdateRowAsync(Entries.New(), "0", table.Version.Next(), default));
    }

    /// <summary>MembershipTable_UpdateRowInParallel.</summary>
    [Fact]
    public async Task Parallel_inserts_of_one_row_succeed_once_and_parallel_updates_each_land_once()
    {
        await using var t = await fixture.StartTableAsync();
        var table = await t.Membership.ReadAllAsync(default);
        var entry = Entries.New();
        var next = table.Version.Next();
        var inserts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => t.Membership.InsertRowAsync(entry, next, default)));
        Assert.Single(inserts, ok => ok);

        var attempts = 0;
        await Task.WhenAll(Enumerable.Range(0, 19).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                Interlocked.Increment(ref attempts);
                var read = await t.Membership.ReadAllAsync(default);
                var row = read.TryGet(entry.SiloAddress)!;
                if (await t.Membership.UpdateRowAsync(row.Item1, row.Item2, read.Version.Next(), default))
                {
                    return;
                }
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        table = await t.Membership.ReadAllAsync(default);
        Assert.Equal(20, table.Version.Version);
        Assert.Single(table.Members);
        Assert.True(attempts >= 19);
    }

    /// <summary>
    /// MembershipTable_UpdateIAmAlive, plus what Orleans 10.4.2's contract adds: a heartbeat leaves the row ETag and
    /// the table ETag alone, so an update prepared from a read before the heartbeat still succeeds.
    /// </summary>
    [Fact]
    public async Task UpdateIAmAlive_changes_only_the_heartbeat()
    {
        await using var t = await fixture.StartTableAsync();
        var version = (await t.Membership.ReadAllAsync(default)).Version.Next();
        var entry = Entries.New();
        Assert.True(await t.Membership.InsertRowAsync(entry, version, default));
        var before = await t.Membership.ReadAllAsync(default);
        var (_, rowETag) = before.TryGet(entry.SiloAddress)!;

        var alive = DateTime.UtcNow.AddSeconds(5);
        await t.Membership.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = alive }, default);

        var after = await t.Membership.ReadAllAsync(default);
        var (read, etagAfter) = after.TryGet(entry.SiloAddress)!;
        Assert.Equal(alive, read.IAmAliveTime);    // stored with 100 ns precision: exact
        Assert.Equal(entry.Status, read.Status);
        Assert.Equal(entry.StartTime, read.StartTime);
        Assert.Equal(rowETag, etagAfter);
        Assert.Equal(before.Version, after.Version);

        // A vote prepared from the read before the heartbeat still lands, and does not turn the heartbeat back.
        var voted = before.TryGet(entry.SiloAddress)!.Item1;
        voted.AddOrUpdateSuspector(Entries.NewSilo(), DateTime.UtcNow, 3);
        Assert.True(await t.Membership.UpdateRowAsync(voted, rowETag, before.Version.Next(), default));
        Assert.Equal(alive, (await t.Membership.ReadRowAsync(entry.SiloAddress, default)).Members[0].Item1.IAmAliveTime);
    }

    [Fact]
    public async Task UpdateIAmAlive_of_a_silo_without_a_row_fails_naming_the_row()
    {
        await using var t = await fixture.StartTableAsync();
        var silo = Entries.NewSilo();
        var ex = await Assert.ThrowsAsync<ZooKeeperMembershipException>(() => t.Membership.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = silo, IAmAliveTime = DateTime.UtcNow }, default));
        Assert.Contains($"{t.TablePath}/{silo.ToParsableString()}", ex.Message);
        Assert.Null(await fixture.Raw.ExistsAsync($"{t.TablePath}/{silo.ToParsableString()}"));
    }

    /// <summary>MembershipTable_CleanupDefunctSiloEntries, plus the cutoff's edges and suspicion votes as activity.</summary>
    [Fact]
    public async Task CleanupDefunctSiloEntries_removes_old_rows_that_are_not_Active()
    {
        await using var t = await fixture.StartTableAsync();
        var oldDead = Old(SiloStatus.Dead);
        await InsertAsync(t, oldDead);
        await InsertAsync(t, Old(SiloStatus.Joining));
        var fresh = Entries.New();
        await InsertAsync(t, fresh);
        var keptAsActive = new List<MembershipEntry>();
        foreach (var status in Enum.GetValues<SiloStatus>())
        {
            var entry = Old(status);
            await InsertAsync(t, entry);
            if (status == SiloStatus.Active)
            {
                keptAsActive.Add(entry);
            }
        }

        // Old, Dead, but a suspicion vote after the cutoff: recent activity, kept.
        var voted = Old(SiloStatus.Dead);
        voted.SuspectTimes = [Tuple.Create(Entries.NewSilo(), oldDead.IAmAliveTime.AddDays(5))];
        await InsertAsync(t, voted);

        // Last activity exactly at the cutoff: not before it, kept.
        var cutoff = oldDead.IAmAliveTime.AddDays(3);
        var atCutoff = Old(SiloStatus.Dead);
        atCutoff.StartTime = cutoff;
        atCutoff.IAmAliveTime = cutoff.AddDays(-1);
        await InsertAsync(t, atCutoff);

        var versionBefore = (await t.Membership.ReadAllAsync(default)).Version;
        await t.Membership.CleanupDefunctSiloEntriesAsync(cutoff, default);

        var data = await t.Membership.ReadAllAsync(default);
        Assert.Equal(
            new[] { fresh, keptAsActive[0], voted, atCutoff }.Select(e => e.SiloAddress.ToParsableString()).Order(),
            data.Members.Select(m => m.Item1.SiloAddress.ToParsableString()).Order());
        Assert.Equal(versionBefore, data.Version);

        // Nothing left behind in ZooKeeper: the deleted rows' heartbeats went with them.
        Assert.Equal(4, (await fixture.Raw.GetChildrenAsync(t.TablePath)).Count);

        static MembershipEntry Old(SiloStatus status)
        {
            var entry = Entries.New(status);
            entry.IAmAliveTime = entry.IAmAliveTime.AddDays(-10);
            entry.StartTime = entry.StartTime.AddDays(-10);
            return entry;
        }
    }

    /// <summary>MembershipTable_GetGateways, through the client's provider over the same table.</summary>
    [Fact]
    public async Task Gateways_are_the_active_silos_with_a_proxy_port()
    {
        await using var t = await fixture.StartTableAsync();
        var entries = Enumerable.Range(0, 10).Select(_ => Entries.New()).ToArray();
        entries[3].Status = SiloStatus.Active;
        entries[3].ProxyPort = 0;
        entries[5].Status = SiloStatus.Active;
        entries[9].Status = SiloStatus.Active;
        entries[9].ProxyPort = 40000;
        foreach (var entry in entries)
        {
            await InsertAsync(t, entry);
        }

        var provider = new ZooKeeperGatewayListProvider(t.Table, Options.Create(new GatewayOptions { GatewayListRefreshPeriod = TimeSpan.FromSeconds(7) }));
        await provider.InitializeGatewayListProviderAsync(default);
        var gateways = (await provider.GetGatewaysAsync(default)).Select(g => g.ToString()).ToList();
        Assert.Equal(2, gateways.Count);
        Assert.Contains(entries[5].SiloAddress.ToGatewayUri().ToString(), gateways);
        Assert.Contains(SiloAddress.New(entries[9].SiloAddress.Endpoint.Address, 40000, entries[9].SiloAddress.Generation).ToGatewayUri().ToString(), gateways);
        Assert.True(provider.IsUpdatable);
        Assert.Equal(TimeSpan.FromSeconds(7), provider.MaxStaleness);

        // Refreshed on every call: a silo that becomes Active shows up, one that dies goes.
        var read = await t.Membership.ReadAllAsync(default);
        var (row0, etag0) = read.TryGet(entries[0].SiloAddress)!;
        row0.Status = SiloStatus.Active;
        Assert.True(await t.Membership.UpdateRowAsync(row0, etag0, read.Version.Next(), default));
        read = await t.Membership.ReadAllAsync(default);
        var (row5, etag5) = read.TryGet(entries[5].SiloAddress)!;
        row5.Status = SiloStatus.Dead;
        Assert.True(await t.Membership.UpdateRowAsync(row5, etag5, read.Version.Next(), default));
        gateways = (await provider.GetGatewaysAsync(default)).Select(g => g.ToString()).ToList();
        Assert.Contains(entries[0].SiloAddress.ToGatewayUri().ToString(), gateways);
        Assert.DoesNotContain(entries[5].SiloAddress.ToGatewayUri().ToString(), gateways);
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_removes_that_cluster_only()
    {
        var url = fixture.NewUrl();
        await using var a = await fixture.StartTableAsync(url, "cluster-a");
        await using var b = await fixture.StartTableAsync(url, "cluster-b");
        await InsertAsync(a, Entries.New());
        await InsertAsync(b, Entries.New());
        await InsertAsync(b, Entries.New());

        await a.Membership.DeleteMembershipTableEntriesAsync("cluster-a", default);
        Assert.Null(await fixture.Raw.ExistsAsync(a.TablePath));
        Assert.Empty((await a.Membership.ReadAllAsync(default)).Members);
        Assert.Equal(2, (await b.Membership.ReadAllAsync(default)).Members.Count);

        // The table comes back on the next insert, from version 0.
        var empty = await a.Membership.ReadAllAsync(default);
        Assert.Equal(0, empty.Version.Version);
        Assert.True(await a.Membership.InsertRowAsync(Entries.New(), empty.Version.Next(), default));
        Assert.Equal(1, (await a.Membership.ReadAllAsync(default)).Version.Version);

        // Deleting a cluster that has no table is fine.
        await a.Membership.DeleteMembershipTableEntriesAsync("never-there", default);
    }

    [Fact]
    public async Task Cluster_ids_are_isolated_from_each_other()
    {
        var url = fixture.NewUrl();
        await using var a = await fixture.StartTableAsync(url, "blue");
        await using var b = await fixture.StartTableAsync(url, "green");
        var silo = Entries.NewSilo();
        await InsertAsync(a, Entries.New(silo: silo));
        await InsertAsync(a, Entries.New());

        var inB = await b.Membership.ReadAllAsync(default);
        Assert.Empty(inB.Members);
        Assert.Equal(0, inB.Version.Version);
        Assert.Empty((await b.Membership.ReadRowAsync(silo, default)).Members);

        // The same silo address may be in both; versions and ETags stay separate.
        Assert.True(await b.Membership.InsertRowAsync(Entries.New(silo: silo), inB.Version.Next(), default));
        var inA = await a.Membership.ReadAllAsync(default);
        Assert.Equal(2, inA.Version.Version);
        Assert.Equal(1, (await b.Membership.ReadAllAsync(default)).Version.Version);
        Assert.False(await b.Membership.UpdateRowAsync(inA.TryGet(silo)!.Item1, inA.TryGet(silo)!.Item2, inA.Version.Next(), default));
        await b.Membership.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(1), default);
        Assert.Equal(2, (await a.Membership.ReadAllAsync(default)).Members.Count);
    }

    [Fact]
    public async Task Callers_continue_off_the_clients_reader_thread()
    {
        await using var t = await fixture.StartTableAsync();
        var threads = new List<string?>();
        await Task.Run(async () =>
        {
            var data = await t.Membership.ReadAllAsync(default).ConfigureAwait(false);
            threads.Add(Thread.CurrentThread.Name);
            await t.Membership.InsertRowAsync(Entries.New(), data.Version.Next(), default).ConfigureAwait(false);
            threads.Add(Thread.CurrentThread.Name);
            await t.Membership.ReadRowAsync(Entries.NewSilo(), default).ConfigureAwait(false);
            threads.Add(Thread.CurrentThread.Name);
        });
        Assert.All(threads, name => Assert.False(name?.StartsWith("ZooKeeper", StringComparison.Ordinal) ?? false, name));
    }

    internal static async Task InsertAsync(TableHandle t, MembershipEntry entry)
    {
        var version = (await t.Membership.ReadAllAsync(default)).Version;
        Assert.True(await t.Membership.InsertRowAsync(entry, version.Next(), default), $"insert of {entry.SiloAddress}");
    }
}
