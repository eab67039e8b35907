namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>API behaviours a differential test against kazoo found, and the public surface's promises.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ApiBehaviourTests(SharedServerFixture fixture)
{
    [Fact]
    public async Task CreateWithParents_of_a_sequential_path_ending_in_a_slash_creates_that_path_as_the_parent()
    {
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var root = Clients.UniquePath("cwp");
        var created = await client.CreateWithParentsAsync(root + "/x/", "v"u8.ToArray(), CreateMode.PersistentSequential);

        Assert.Matches($"^{root}/x/\\d{{10}}$", created.Path);
        Assert.Equal("v", Encoding.UTF8.GetString((await client.GetDataAsync(created.Path)).Data));
        Assert.Equal(["x"], await client.GetChildrenAsync(root));
        await client.DeleteRecursiveAsync(root);
    }

    [Fact]
    public async Task EnsurePath_and_CreateWithParents_create_only_what_is_missing_so_an_existing_ancestor_needs_no_create_permission()
    {
        await using var admin = await Clients.ConnectAsync(fixture.Server.ConnectString);
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var locked = Clients.UniquePath("locked");

        // /locked lets everyone read but nobody create below it; /locked/app (made before the lock) is open.
        await admin.CreateAsync(locked);
        await admin.CreateAsync(locked + "/app");
        await admin.SetAclAsync(locked, [new Acl(Permissions.All & ~Permissions.Create, ZooKeeperId.Anyone)]);
        try
        {
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.CreateAsync(locked + "/other"));

            await client.EnsurePathAsync(locked + "/app/a/b");
            Assert.NotNull(await client.ExistsAsync(locked + "/app/a/b"));
            var created = await client.CreateWithParentsAsync(locked + "/app/c/d", "x"u8.ToArray());
            Assert.Equal(locked + "/app/c/d", created.Path);

            // Existing all the way down: nothing to create, nothing refused.
            await client.EnsurePathAsync(locked + "/app");
        }
        finally
        {
            await admin.SetAclAsync(locked, Acls.OpenUnsafe);
            await admin.DeleteRecursiveAsync(locked);
        }
    }

    [Fact]
    public async Task Creates_inside_multi_report_the_metadata_the_server_sends_and_never_a_zeroed_stat()
    {
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var root = Clients.UniquePath("multi-stat");
        await client.CreateAsync(root);
        var results = await client.MultiAsync(
        [
            Op.Create(root + "/plain", "p"u8.ToArray()),
            Op.Create(root + "/container", default, CreateMode.Container),
            Op.Create(root + "/ttl", default, CreateMode.PersistentWithTtl, ttl: TimeSpan.FromMinutes(5)),
            Op.Create(root + "/container/child"),
        ]);

        foreach (var result in results)
        {
            var created = Assert.IsType<CreateOpResult>(result);
            var actual = await client.ExistsAsync(created.Path);
            Assert.NotNull(actual);
            if (created.Stat is { } stat)
            {
                Assert.Equal(actual.Value.Czxid, stat.Czxid);
                Assert.Equal(actual.Value.Ctime, stat.Ctime);
            }
        }

        // Container and TTL creates always carry it (ZooKeeper 3.8.0 answers a plain create2 inside multi with the path only).
        Assert.NotNull(((CreateOpResult)results[1]).Stat);
        Assert.NotNull(((CreateOpResult)results[2]).Stat);
        await client.DeleteRecursiveAsync(root);
    }

    [Fact]
    public async Task Options_is_a_copy_and_the_negotiated_timeout_is_a_TimeSpan()
    {
        var options = Clients.Options(fixture.Server.ConnectString, TimeSpan.FromSeconds(6));
        await using var client = await ZooKeeperClient.ConnectAsync(options);

        options.SessionTimeout = TimeSpan.FromSeconds(1);
        options.MaxPacketSize = 2048;
        var copy = client.Options;
        copy.ConnectString = "127.0.0.1:1";
        copy.Auth.Add(AuthInfo.Digest("u", "p"));

        Assert.Equal(TimeSpan.FromSeconds(6), client.Options.SessionTimeout);
        Assert.Equal(fixture.Server.ConnectString, client.Options.ConnectString);
        Assert.Empty(client.Options.Auth);
        Assert.Equal(ZooKeeperClientOptions.DefaultMaxPacketSize, client.MaxPacketSize);
        Assert.Equal(TimeSpan.FromSeconds(6), client.NegotiatedSessionTimeout);
        await client.SetDataAsync("/", default); // still works against the original server
    }
}
