using Orleans.ZooKeeper.Testing;
using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Client.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class AuthTests(SharedServerFixture fixture)
{
    private const string User = "alice";
    private const string Password = "s3cr3t-Pa55word";

    [Fact]
    public void Digest_id_matches_the_server_format()
    {
        // The value zkCli shows for user:pass (checked against the server in the shared notes).
        Assert.Equal(new ZooKeeperId("digest", "user:smGaoVKd/cQkjm7b88GyorAUz20="), ZooKeeperId.Digest("user", "pass"));
        Assert.Equal("digest:***", AuthInfo.Digest(User, Password).ToString());
        Assert.Throws<ArgumentException>(() => ZooKeeperId.Digest("a:b", "x"));
    }

    [Fact]
    public async Task Digest_protected_node_admits_only_the_credentials()
    {
        using var logs = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = Clients.Options(fixture.Server.ConnectString).AddDigest(User, Password);
        await using var owner = await ZooKeeperClient.ConnectAsync(options, factory.CreateLogger<ZooKeeperClient>());
        var node = Clients.UniquePath("auth");
        await owner.CreateAsync(node, "private"u8.ToArray(), acl: Acls.CreatorAll);
        var acl = await owner.GetAclAsync(node);
        Assert.Equal([new Acl(Permissions.All, ZooKeeperId.Digest(User, Password))], acl.Acl);
        Assert.Equal("private", Encoding.UTF8.GetString((await owner.GetDataAsync(node)).Data));

        await using var anonymous = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var ex = await Assert.ThrowsAsync<NoAuthException>(async () => await anonymous.GetDataAsync(node));
        Assert.Equal(node, ex.Path);
        await Assert.ThrowsAsync<NoAuthException>(async () => await anonymous.SetDataAsync(node, "x"u8.ToArray()));

        await using var wrong = await Clients.ConnectAsync(fixture.Server.ConnectString);
        await wrong.AddDigestAuthAsync(User, "not-the-password");
        await Assert.ThrowsAsync<NoAuthException>(async () => await wrong.GetDataAsync(node));

        // Credentials added later on a live session work too.
        await using var late = await Clients.ConnectAsync(fixture.Server.ConnectString);
        await late.AddDigestAuthAsync(User, Password);
        Assert.Equal("private", Encoding.UTF8.GetString((await late.GetDataAsync(node)).Data));
        await late.DeleteAsync(node);

        Assert.DoesNotContain(logs.Lines, l => l.Contains(Password, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, ex.ToString());
    }

    [Fact]
    public async Task Credentials_are_replayed_after_reconnecting()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await Clients.ConnectAsync(proxy.ConnectString);
        await client.AddDigestAuthAsync(User, Password);
        var node = Clients.UniquePath("auth-replay");
        await client.CreateAsync(node, "v"u8.ToArray(), acl: Acls.DigestOnly(User, Password));
        var session = client.SessionId;
        proxy.Block();
        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended);
        proxy.Unblock();
        await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(session, client.SessionId);
        Assert.Equal("v", Encoding.UTF8.GetString((await client.GetDataAsync(node)).Data));
        await client.DeleteAsync(node);
    }

    [Fact]
    public async Task Unknown_auth_scheme_fails_the_session_clearly()
    {
        using var logs = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var client = await ZooKeeperClient.ConnectAsync(Clients.Options(fixture.Server.ConnectString), factory.CreateLogger<ZooKeeperClient>());
        var states = await StateRecorder.AfterConnectAsync(client);
        var secret = "top-secret-token";
        var ex = await Assert.ThrowsAnyAsync<ZooKeeperException>(async () => await client.AddAuthAsync(new AuthInfo("nosuchscheme", Encoding.UTF8.GetBytes(secret))));
        Assert.Equal(ErrorCode.AuthFailed, ex.Code);
        await states.WaitForAsync(s => s.Any(c => c.State == ConnectionState.Lost && c.KeeperState == KeeperState.AuthFailed));
        Assert.Equal(ConnectionState.Lost, client.State);
        await Assert.ThrowsAsync<AuthFailedException>(async () => await client.ExistsAsync("/"));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, ex.ToString());
    }
}
