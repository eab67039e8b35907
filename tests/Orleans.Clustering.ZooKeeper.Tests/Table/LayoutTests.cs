using System.Text;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Clustering.ZooKeeper.Tests.Table;

/// <summary>The node layout, the data format (the old provider's, readable both ways), ACLs and damaged nodes.</summary>
[Collection(ServerCollection.Name)]
public sealed class LayoutTests(ServerFixture fixture)
{
    [Fact]
    public async Task Rows_heartbeats_and_versions_are_the_documented_nodes()
    {
        var url = fixture.NewUrl();
        await using var t = await fixture.StartTableAsync(url, "layout");
        var basePath = new Uri(url.Replace("zookeeper://", "http://", StringComparison.Ordinal)).AbsolutePath;
        Assert.Equal($"{basePath}/layout", t.TablePath);

        var entry = Entries.New();
        entry.SuspectTimes = [Tuple.Create(Entries.NewSilo(), Entries.NowSeconds())];
        await MembershipBehaviourTests.InsertAsync(t, entry);
        var row = $"{t.TablePath}/{entry.SiloAddress.ToParsableString()}";
        var table = await fixture.Raw.GetDataAsync(t.TablePath);
        var rowData = await fixture.Raw.GetDataAsync(row);
        var read = await t.Membership.ReadAllAsync(default);
        Assert.Equal(table.Stat.Version, read.Version.Version);
        Assert.Equal(table.Stat.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), read.Version.VersionEtag);
        Assert.Equal(rowData.Stat.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), read.Members[0].Item2);
        Assert.Equal(["IAmAlive"], await fixture.Raw.GetChildrenAsync(row));

        // The old provider's JSON shape, readable with zkCli.
        using var json = JsonDocument.Parse(rowData.Data);
        var root = json.RootElement;
        Assert.Equal(entry.SiloAddress.ToParsableString(), root.GetProperty("SiloAddress").GetProperty("SiloAddress").GetString());
        Assert.Equal("Joining", root.GetProperty("Status").GetString());
        Assert.Equal("TestSiloName", root.GetProperty("InstanceName").GetString());
        Assert.Equal(entry.SuspectTimes[0].Item1.ToParsableString(), root.GetProperty("SuspectTimes")[0].GetProperty("Item1").GetProperty("SiloAddress").GetString());
        var heartbeat = await fixture.Raw.GetDataAsync(row + "/IAmAlive");
        Assert.Equal(entry.IAmAliveTime, JsonSerializer.Deserialize<DateTime>(heartbeat.Data).ToUniversalTime());
    }

    /// <summary>A table as Microsoft.Orleans.Clustering.ZooKeeper left it (Newtonsoft JSON, empty table node data).</summary>
    [Fact]
    public async Task A_table_written_by_the_old_provider_is_read_and_continued()
    {
        var url = fixture.NewUrl();
        await using var t = await fixture.StartTableAsync(url, "legacy", init: false);
        var silo = Entries.NewSilo(11111);
        var voter = Entries.NewSilo(11112);
        var tablePath = t.TablePath;
        await fixture.Raw.CreateWithParentsAsync(tablePath);
        await fixture.Raw.SetDataAsync(tablePath, default);   // the old provider bumps the version with null data
        var rowJson = $$"""{"SiloAddress":{"SiloAddress":"{{silo.ToParsableString()}}"},"HostName":"old-host","SiloName":"old-silo","InstanceName":"old-silo","Status":"Active","ProxyPort":30000,"StartTime":"2024-05-01T10:00:00.123Z","SuspectTimes":[{"Item1":{"SiloAddress":"{{voter.ToParsableString()}}"},"Item2":"2024-05-01T10:05:00Z"}]}""";
        var row = $"{tablePath}/{silo.ToParsableString()}";
        await fixture.Raw.MultiAsync([Op.Create(row, Encoding.UTF8.GetBytes(rowJson)), Op.Create(row + "/IAmAlive", "\"2024-05-01T10:06:00.5Z\""u8.ToArray()), Op.SetData(tablePath, default, 1)]);

        var data = await t.Membership.ReadAllAsync(default);
        Assert.Equal(2, data.Version.Version);
        var (entry, etag) = Assert.Single(data.Members);
        Assert.Equal(silo, entry.SiloAddress);
        Assert.Equal("old-silo", entry.SiloName);
        Assert.Equal(SiloStatus.Active, entry.Status);
        Assert.Equal(30000, entry.ProxyPort);
        Assert.Equal(new DateTime(2024, 5, 1, 10, 0, 0, 123, DateTimeKind.Utc), entry.StartTime);
        Assert.Equal(new DateTime(2024, 5, 1, 10, 6, 0, 500, DateTimeKind.Utc), entry.IAmAliveTime);
        Assert.Equal(voter, Assert.Single(entry.SuspectTimes!).Item1);

        entry.Status = SiloStatus.Dead;
        Assert.True(await t.Membership.UpdateRowAsync(entry, etag, data.Version.Next(), default));
        Assert.Equal(SiloStatus.Dead, (await t.Membership.ReadRowAsync(silo, default)).Members[0].Item1.Status);
        Assert.Equal(3, (await fixture.Raw.ExistsAsync(tablePath))!.Value.Version);
    }

    [Fact]
    public async Task With_credentials_every_membership_node_admits_only_that_identity()
    {
        const string User = "cluster-user";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var t = await fixture.StartTableAsync(configure: o =>
        {
            o.Username = User;
            o.Password = password;
        });
        var entry = Entries.New();
        await MembershipBehaviourTests.InsertAsync(t, entry);
        var row = $"{t.TablePath}/{entry.SiloAddress.ToParsableString()}";
        var expected = new[] { new Acl(Permissions.All, ZooKeeperId.Digest(User, password)) };
        foreach (var node in new[] { t.TablePath, row, row + "/IAmAlive" })
        {
            Assert.Equal(expected, (await t.Client.GetAclAsync(node)).Acl);
            await Assert.ThrowsAsync<NoAuthException>(async () => await fixture.Raw.GetDataAsync(node));
        }

        Assert.All(t.Logs.Entries, e => Assert.DoesNotContain(password, e));
        Assert.Single((await t.Membership.ReadAllAsync(default)).Members);
    }

    [Fact]
    public async Task A_corrupted_row_fails_reads_with_an_exception_naming_the_node_until_it_is_repaired()
    {
        await using var t = await fixture.StartTableAsync();
        var entry = Entries.New();
        await MembershipBehaviourTests.InsertAsync(t, entry);
        var row = $"{t.TablePath}/{entry.SiloAddress.ToParsableString()}";
        var good = (await fixture.Raw.GetDataAsync(row)).Data;

        foreach (var (bad, problem) in new[]
        {
            ("{not json", "not JSON"),
            ("""{"SiloAddress":{"SiloAddress":"x"},"Status":"Active","StartTime":"2024-01-01T00:00:00Z"}""", "'SiloAddress'"),
            (Encoding.UTF8.GetString(good).Replace("\"Joining\"", "\"Sleeping\"", StringComparison.Ordinal), "'Status'"),
            (Encoding.UTF8.GetString(good).Replace(entry.SiloAddress.ToParsableString(), Entries.NewSilo().ToParsableString(), StringComparison.Ordinal), "not for the silo its name gives"),
        })
        {
            await fixture.Raw.SetDataAsync(row, Encoding.UTF8.GetBytes(bad));
            var all = await Assert.ThrowsAsync<ZooKeeperMembershipException>(() => t.Membership.ReadAllAsync(default));
            Assert.Equal(row, all.Path);
            Assert.Contains(row, all.Message);
            Assert.Contains(problem, all.Message);
            var one = await Assert.ThrowsAsync<ZooKeeperMembershipException>(() => t.Membership.ReadRowAsync(entry.SiloAddress, default));
            Assert.Equal(row, one.Path);
        }

        await fixture.Raw.SetDataAsync(row + "/IAmAlive", "yesterday"u8.ToArray());
        await fixture.Raw.SetDataAsync(row, good);
        var heartbeat = await Assert.ThrowsAsync<ZooKeeperMembershipException>(() => t.Membership.ReadAllAsync(default));
        Assert.Equal(row + "/IAmAlive", heartbeat.Path);

        // Repaired by the silo's own heartbeat: reads work again.
        await t.Membership.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = DateTime.UtcNow }, default);
        Assert.Single((await t.Membership.ReadAllAsync(default)).Members);
    }

    [Fact]
    public async Task Nodes_under_the_table_that_are_not_rows_are_ignored_and_survive_deletion_and_a_lost_heartbeat_comes_back()
    {
        await using var t = await fixture.StartTableAsync();
        var entry = Entries.New();
        await MembershipBehaviourTests.InsertAsync(t, entry);

        // E.g. grain storage sharing the container path with ServiceId == ClusterId: its nodes are no silo addresses.
        await fixture.Raw.CreateWithParentsAsync($"{t.TablePath}/profile/alice/state", "{}"u8.ToArray());
        var data = await t.Membership.ReadAllAsync(default);
        Assert.Single(data.Members);

        // A heartbeat node deleted from outside: the row reads with its own time, the next heartbeat re-creates it.
        var row = $"{t.TablePath}/{entry.SiloAddress.ToParsableString()}";
        await fixture.Raw.DeleteAsync(row + "/IAmAlive");
        Assert.Equal(entry.IAmAliveTime, (await t.Membership.ReadRowAsync(entry.SiloAddress, default)).Members[0].Item1.IAmAliveTime);
        var alive = DateTime.UtcNow;
        await t.Membership.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = alive }, default);
        Assert.Equal(alive, (await t.Membership.ReadRowAsync(entry.SiloAddress, default)).Members[0].Item1.IAmAliveTime);

        await t.Membership.DeleteMembershipTableEntriesAsync(t.ClusterId, default);
        Assert.Equal(["profile"], await fixture.Raw.GetChildrenAsync(t.TablePath));
        Assert.Equal("{}"u8.ToArray(), (await fixture.Raw.GetDataAsync($"{t.TablePath}/profile/alice/state")).Data);
    }
}
