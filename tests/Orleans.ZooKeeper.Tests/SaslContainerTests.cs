using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Tests;

/// <summary>A server that requires SASL DIGEST-MD5 (users alice and bob).</summary>
public sealed class SaslServerFixture : IAsyncLifetime
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-Container-Secret";

    public ZooKeeperServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
    {
        Sasl = new ZooKeeperServerSaslOptions
        {
            Users = new Dictionary<string, string> { [Alice] = AlicePassword, ["bob"] = "bob-pw" },
            RequireClientSasl = true,
        },
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The container's <c>sasl_*</c> keys: resolution, connection, node ACLs, clear failures.</summary>
public sealed class SaslContainerTests(SaslServerFixture fixture) : IClassFixture<SaslServerFixture>
{
    private const string Secret = "pw-never-shown-7f3a";

    private static IConfiguration Config(params (string Key, string? Value)[] keys)
        => new ConfigurationBuilder().AddInMemoryCollection(keys.Select(k => new KeyValuePair<string, string?>("zookeeper:" + k.Key, k.Value)).Append(new("zookeeper:servers", "127.0.0.1:2181"))).Build();

    [Fact]
    public void The_sasl_keys_resolve_to_client_options_and_never_show_the_password()
    {
        var target = ZooKeeperTargetResolver.Resolve(null, Config(("sasl_username", "alice"), ("sasl_password", Secret)));
        Assert.Equal("alice", target.Sasl!.Username);
        Assert.Equal(ZooKeeperSaslOptions.DigestMd5, target.Sasl.Mechanism);
        Assert.Null(target.Sasl.ServerPrincipal);
        Assert.Equal("zookeeper://127.0.0.1:2181/orleans (SASL DIGEST-MD5 as 'alice')", target.ToString());
        var options = target.ToClientOptions();
        Assert.Equal("alice", options.Sasl!.Username);
        Assert.Equal(Secret, options.Sasl.Password);
        Assert.Empty(options.Auth);

        var both = ZooKeeperTargetResolver.Resolve(null, Config(("sasl_username", "alice"), ("sasl_password", Secret), ("sasl_mechanism", "digest-md5"), ("sasl_server_principal", "zookeeper/zk-sasl-md5"), ("username", "dave"), ("password", Secret)));
        Assert.Equal("zookeeper/zk-sasl-md5", both.Sasl!.ServerPrincipal);
        Assert.Single(both.ToClientOptions().Auth);
        Assert.DoesNotContain(Secret, both.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(target, ZooKeeperTargetResolver.Resolve(null, Config(("sasl_username", "alice"), ("sasl_password", "other"))));
        Assert.Null(ZooKeeperTargetResolver.Resolve(null, Config()).Sasl);

        // GSSAPI turns SASL on by itself: the default Kerberos credentials (ticket cache or client keytab).
        var kerberos = ZooKeeperTargetResolver.Resolve(null, Config(("sasl_mechanism", "gssapi"), ("sasl_server_principal", "zookeeper/zk1.example.com")));
        Assert.Equal(ZooKeeperSaslOptions.Gssapi, kerberos.Sasl!.Mechanism);
        Assert.Null(kerberos.Sasl.Username);
        Assert.Equal("zookeeper://127.0.0.1:2181/orleans (SASL GSSAPI with the default credentials, server principal 'zookeeper/zk1.example.com')", kerberos.ToString());
        var kerberosOptions = kerberos.ToClientOptions().Sasl!;
        Assert.Equal(ZooKeeperSaslOptions.Gssapi, kerberosOptions.Mechanism);
        Assert.Null(kerberosOptions.Username);
        Assert.Null(kerberosOptions.Password);
    }

    [Theory]
    [InlineData("sasl_username=alice", "configuration key 'zookeeper:sasl_password' is not set")]
    [InlineData("sasl_password=" + Secret, "Configuration key 'zookeeper:sasl_password' is set but configuration key 'zookeeper:sasl_username' is not")]
    [InlineData("sasl_mechanism=DIGEST-MD5", "needs a SASL user")]
    [InlineData("sasl_server_principal=zookeeper/x", "needs a SASL user")]
    [InlineData("sasl_username=alice;sasl_password=" + Secret + ";sasl_mechanism=PLAIN", "'PLAIN' in configuration key 'zookeeper:sasl_mechanism' is not supported")]
    [InlineData("sasl_mechanism=GSSAPI;sasl_password=" + Secret, "Configuration key 'zookeeper:sasl_password' is set but configuration key 'zookeeper:sasl_username' is not")]
    [InlineData("sasl_username=alice;sasl_password=" + Secret + ";sasl_server_principal=nohost", "is not 'service/host'")]
    public void Bad_or_incomplete_sasl_keys_are_named_and_the_password_is_not_shown(string keys, string expected)
    {
        var pairs = keys.Split(';').Select(k => k.Split('=', 2)).Select(p => (p[0], (string?)p[1])).ToArray();
        var ex = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(null, Config(pairs)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_container_with_sasl_keys_connects_and_its_nodes_admit_only_that_identity()
    {
        var path = "/sasl-" + Guid.NewGuid().ToString("N")[..8];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = fixture.Server.ConnectString,
            ["zookeeper:path"] = path,
            ["zookeeper:sasl_username"] = SaslServerFixture.Alice,
            ["zookeeper:sasl_password"] = SaslServerFixture.AlicePassword,
        }).Build();
        using var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var container = ZooKeeperContainer.Create("sasl", configuration: configuration, loggerFactory: loggerFactory);
        await container.StartAsync();
        Assert.Contains(await container.Client.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == SaslServerFixture.Alice);

        // The container's nodes (its path, a lock's contender node) carry auth: — the SASL identity.
        var onlyAlice = new[] { new Acl(Permissions.All, ZooKeeperId.Sasl(SaslServerFixture.Alice)) };
        Assert.Equal(onlyAlice, (await container.Client.GetAclAsync(path)).Acl);
        var jobs = container.CreateLock("jobs");
        {
            await using var lease = await jobs.AcquireAsync();
            var lockPath = container.ResolvePath("locks/jobs");
            var contender = (await container.Client.GetChildrenAsync(lockPath)).Single();
            Assert.Equal(onlyAlice, (await container.Client.GetAclAsync(lockPath + "/" + contender)).Acl);
        }

        await using var bob = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString }.UseSasl("bob", "bob-pw"));
        await Assert.ThrowsAsync<NoAuthException>(async () => await bob.GetChildrenAsync(path));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(SaslServerFixture.AlicePassword, StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("SASL DIGEST-MD5 as 'alice'", StringComparison.Ordinal));
        await container.Client.DeleteRecursiveAsync(path);
    }

    [Fact]
    public async Task A_wrong_sasl_password_fails_container_startup_at_once_with_the_cause()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = fixture.Server.ConnectString,
            ["zookeeper:sasl_username"] = SaslServerFixture.Alice,
            ["zookeeper:sasl_password"] = Secret,
        }).Build();
        await using var container = ZooKeeperContainer.Create("wrong", configuration: configuration);
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ZooKeeperStartupException>(() => container.StartAsync());
        Assert.IsType<AuthFailedException>(ex.InnerException);
        Assert.Contains("ZooKeeper container 'wrong' could not connect", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"startup failed only after {watch.Elapsed}");
        Assert.Contains("SASL DIGEST-MD5 authentication as 'alice'", ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("refused the credentials", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(ZooKeeperContainerState.Lost, container.State);
    }
}

/// <summary>A KDC and a ZooKeeper server that logs in to it and requires SASL; this process's Kerberos library uses the KDC.</summary>
public sealed class KerberosServerFixture : IAsyncLifetime
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-Container-Kerberos";

    private KerberosZooKeeper? _both;

    public KerberosKdc Kdc => _both!.Kdc;

    public ZooKeeperServer Server => _both!.Server;

    public async Task InitializeAsync() => _both = await KerberosZooKeeper.StartAsync(new Dictionary<string, string> { [Alice] = AlicePassword });

    public async Task DisposeAsync()
    {
        if (_both is not null)
        {
            await _both.DisposeAsync();
        }
    }
}

/// <summary>A container configured for Kerberos with the <c>sasl_*</c> keys.</summary>
public sealed class KerberosContainerTests(KerberosServerFixture fixture) : IClassFixture<KerberosServerFixture>
{
    [Fact]
    public async Task A_container_with_gssapi_keys_connects_as_the_kerberos_principal_and_its_nodes_admit_only_it()
    {
        var path = "/krb-" + Guid.NewGuid().ToString("N")[..8];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = fixture.Server.ConnectString,
            ["zookeeper:path"] = path,
            ["zookeeper:sasl_mechanism"] = "GSSAPI",
            ["zookeeper:sasl_username"] = KerberosServerFixture.Alice,
            ["zookeeper:sasl_password"] = KerberosServerFixture.AlicePassword,
            ["zookeeper:sasl_server_principal"] = KerberosKdc.ServicePrincipal,
        }).Build();
        await using var container = ZooKeeperContainer.Create("krb", configuration: configuration);
        await container.StartAsync();
        var principal = KerberosServerFixture.Alice + "@" + KerberosKdc.Realm;
        Assert.Contains(await container.Client.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == principal);
        Assert.Equal([new Acl(Permissions.All, ZooKeeperId.Sasl(principal))], (await container.Client.GetAclAsync(path)).Acl);
        await container.Client.DeleteRecursiveAsync(path);
    }
}
