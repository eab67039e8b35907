using Orleans.ZooKeeper.Testing;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// A local MIT KDC (realm EXAMPLE.TEST on a loopback port) and a ZooKeeper server that logs in to it as
/// <c>zookeeper/localhost</c> and requires SASL. This test process's Kerberos library is pointed at the KDC.
/// </summary>
public sealed class KerberosFixture : IAsyncLifetime
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-Kerberos-Secret";
    public const string AlicePrincipal = Alice + "@" + KerberosKdc.Realm;

    private KerberosZooKeeper? _both;

    public KerberosKdc Kdc => _both!.Kdc;

    public ZooKeeperServer Server => _both!.Server;

    public async Task InitializeAsync() => _both = await KerberosZooKeeper.StartAsync(new Dictionary<string, string> { [Alice] = AlicePassword, ["bob"] = "bob-Kerberos-Secret" });

    public async Task DisposeAsync()
    {
        if (_both is not null)
        {
            await _both.DisposeAsync();
        }
    }
}

/// <summary>SASL GSSAPI (Kerberos) against a real KDC and ZooKeeper 3.8 server.</summary>
public sealed class KerberosTests(KerberosFixture fixture, ITestOutputHelper output) : IClassFixture<KerberosFixture>
{
    private static ZooKeeperClientOptions KerberosOptions(string connectString, string? user = KerberosFixture.Alice, string? password = KerberosFixture.AlicePassword)
        => Clients.Options(connectString).UseSasl(s =>
        {
            s.Mechanism = ZooKeeperSaslOptions.Gssapi;
            s.Username = user;
            s.Password = password;
            s.ServerPrincipal = KerberosKdc.ServicePrincipal;
        });

    [Fact]
    public async Task Authenticates_with_kerberos_and_sasl_acls_name_the_principal()
    {
        await using var alice = await ZooKeeperClient.ConnectAsync(KerberosOptions(fixture.Server.ConnectString));
        var identities = await alice.WhoAmIAsync();
        output.WriteLine(string.Join(", ", identities));
        Assert.Contains(identities, i => i.AuthScheme == "sasl" && i.User == KerberosFixture.AlicePrincipal);

        var node = Clients.UniquePath("krb");
        await alice.CreateAsync(node, "kerberos"u8.ToArray(), acl: Acls.CreatorAll);
        Assert.Equal([new Acl(Permissions.All, ZooKeeperId.Sasl(KerberosFixture.AlicePrincipal))], (await alice.GetAclAsync(node)).Acl);

        await using var bob = await ZooKeeperClient.ConnectAsync(KerberosOptions(fixture.Server.ConnectString, "bob", "bob-Kerberos-Secret"));
        Assert.Contains(await bob.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == "bob@" + KerberosKdc.Realm);
        await Assert.ThrowsAsync<NoAuthException>(async () => await bob.GetDataAsync(node));
        await alice.DeleteAsync(node);
    }

    [Fact]
    public async Task A_wrong_password_or_unknown_principal_fails_clearly_without_retrying()
    {
        foreach (var (user, password) in new[] { (KerberosFixture.Alice, "not-the-password"), ("mallory", "whatever") })
        {
            var ex = await Assert.ThrowsAsync<AuthFailedException>(() => ZooKeeperClient.ConnectAsync(KerberosOptions(fixture.Server.ConnectString, user, password)));
            output.WriteLine(ex.Message);
            Assert.Contains($"SASL GSSAPI authentication as '{user}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains(fixture.Server.ConnectString, ex.Message, StringComparison.Ordinal);
            Assert.Contains($"could not get a ticket for '{user}' with the configured password", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unknown_service_principal_fails_clearly()
    {
        var options = KerberosOptions(fixture.Server.ConnectString);
        options.Sasl!.ServerPrincipal = "zookeeper/nowhere";
        var ex = await Assert.ThrowsAsync<AuthFailedException>(() => ZooKeeperClient.ConnectAsync(options));
        output.WriteLine(ex.Message);
        Assert.Contains("SASL GSSAPI", ex.Message, StringComparison.Ordinal);
        Assert.Contains("server principal 'zookeeper/nowhere'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_credentials_come_from_the_client_keytab()
    {
        // As a service would run: no user or password in the options, a keytab named by KRB5_CLIENT_KTNAME.
        KerberosKdc.SetNativeEnvironment("KRB5_CLIENT_KTNAME", fixture.Kdc.KeytabOf(KerberosFixture.Alice));
        try
        {
            var options = KerberosOptions(fixture.Server.ConnectString, user: null, password: null);
            Assert.Equal("SASL GSSAPI with the default credentials", options.Sasl!.ToString());
            await using var service = await ZooKeeperClient.ConnectAsync(options);
            Assert.Contains(await service.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == KerberosFixture.AlicePrincipal);
        }
        finally
        {
            KerberosKdc.SetNativeEnvironment("KRB5_CLIENT_KTNAME", null);
        }
    }

    [Fact]
    public async Task The_identity_survives_a_reconnect_and_queued_requests_follow_the_exchange()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var alice = await ZooKeeperClient.ConnectAsync(KerberosOptions(proxy.ConnectString));
        var root = Clients.UniquePath("krb-replay");
        await alice.CreateAsync(root, Array.Empty<byte>(), acl: Acls.CreatorAll);
        var session = alice.SessionId;
        proxy.Block();
        await Wait.UntilAsync(() => alice.State == ConnectionState.Suspended);
        var queued = Enumerable.Range(0, 10).Select(i => alice.CreateAsync($"{root}/q{i}", Array.Empty<byte>(), acl: Acls.CreatorAll).AsTask()).ToArray();
        proxy.Unblock();
        await alice.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAll(queued).WithTimeout();
        Assert.Equal(session, alice.SessionId);
        Assert.Contains(await alice.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == KerberosFixture.AlicePrincipal);
        Assert.Equal(10, (await alice.GetChildrenAsync(root)).Count);
    }

    [Fact]
    public async Task Java_client_and_ours_honour_each_others_kerberos_acls()
    {
        var dir = Directory.CreateTempSubdirectory("orleans-zk-krb-java-");
        try
        {
            var jaas = Path.Combine(dir.FullName, "jaas-alice.conf");
            ZooKeeperServerSaslOptions.WriteKerberosClientJaasFile(jaas, fixture.Kdc, KerberosFixture.Alice);
            string[] javaArgs = ["-Djava.security.krb5.conf=" + fixture.Kdc.Krb5ConfPath, "-Dzookeeper.sasl.client.username=zookeeper"];
            var server = "localhost:" + fixture.Server.Port;
            await using var alice = await ZooKeeperClient.ConnectAsync(KerberosOptions(fixture.Server.ConnectString));

            var ours = Clients.UniquePath("krb-ours");
            await alice.CreateAsync(ours, "written-by-dotnet"u8.ToArray(), acl: Acls.Sasl(KerberosFixture.AlicePrincipal));
            var read = await JavaZooKeeperCli.RunAsync(server, ["get", ours], jaas, extraJvmArgs: javaArgs);
            output.WriteLine(read.ToString());
            Assert.Contains("written-by-dotnet", read.Output, StringComparison.Ordinal);

            var java = Clients.UniquePath("krb-java");
            var created = await JavaZooKeeperCli.RunAsync(server, ["create", java, "written-by-java", $"sasl:{KerberosFixture.AlicePrincipal}:cdrwa"], jaas, extraJvmArgs: javaArgs);
            output.WriteLine(created.ToString());
            Assert.Equal("written-by-java", Encoding.UTF8.GetString((await alice.GetDataAsync(java)).Data));
            Assert.Equal([new Acl(Permissions.All, ZooKeeperId.Sasl(KerberosFixture.AlicePrincipal))], (await alice.GetAclAsync(java)).Acl);
            await alice.DeleteAsync(ours);
            await alice.DeleteAsync(java);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
