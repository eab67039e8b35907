using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Testing;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// The SASL servers the client SASL tests share: DIGEST-MD5 users alice and bob on a server that also takes
/// anonymous sessions (and serves TLS on its secure port), one that requires SASL
/// (<c>sessionRequireClientSASLAuth</c>, <c>enforce.auth.enabled</c>), and one without SASL at all.
/// </summary>
public sealed class SaslServersFixture : IAsyncLifetime
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-Secret-42";
    public const string Bob = "bob";
    public const string BobPassword = "bob-Secret-43";

    public static readonly Dictionary<string, string> Users = new() { [Alice] = AlicePassword, [Bob] = BobPassword };

    /// <summary>SASL users, anonymous sessions allowed; TLS on its secure port.</summary>
    public ZooKeeperServer Optional { get; private set; } = null!;

    /// <summary>SASL required for every session.</summary>
    public ZooKeeperServer Required { get; private set; } = null!;

    /// <summary>No SASL configured.</summary>
    public ZooKeeperServer Plain { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var optional = ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
        {
            Sasl = new ZooKeeperServerSaslOptions { Users = Users },
            Tls = TestCertificates.Shared.CreateServerTlsOptions(ZooKeeperTlsClientAuth.None, ZooKeeperTlsProtocols.Tls12And13),
        });
        var required = ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
        {
            Sasl = new ZooKeeperServerSaslOptions { Users = Users, RequireClientSasl = true },
        });
        var plain = ZooKeeperServer.StartNewAsync();
        try
        {
            await Task.WhenAll(optional, required, plain);
        }
        finally
        {
            Optional = optional.IsCompletedSuccessfully ? optional.Result : null!;
            Required = required.IsCompletedSuccessfully ? required.Result : null!;
            Plain = plain.IsCompletedSuccessfully ? plain.Result : null!;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Optional, Required, Plain })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SaslServersCollection : ICollectionFixture<SaslServersFixture>
{
    public const string Name = "SASL servers";
}

/// <summary>SASL DIGEST-MD5 against real ZooKeeper 3.8 servers: identity, ACLs, failures, replay order, TLS, Java interop.</summary>
[Collection(SaslServersCollection.Name)]
public sealed class SaslTests(SaslServersFixture fixture, ITestOutputHelper output)
{
    private const string Alice = SaslServersFixture.Alice;
    private const string AlicePassword = SaslServersFixture.AlicePassword;

    private static ZooKeeperClientOptions SaslOptions(string connectString, string user = Alice, string password = AlicePassword)
        => Clients.Options(connectString).UseSasl(user, password);

    [Fact]
    public async Task Authenticates_and_the_session_has_the_sasl_identity_that_acls_name()
    {
        using var logs = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var alice = await ZooKeeperClient.ConnectAsync(SaslOptions(fixture.Optional.ConnectString), factory.CreateLogger<ZooKeeperClient>());
        var identities = await alice.WhoAmIAsync();
        Assert.Contains(identities, i => i.AuthScheme == "sasl" && i.User == Alice);
        Assert.Contains("sasl: alice", string.Join(", ", identities), StringComparison.Ordinal);

        var node = Clients.UniquePath("sasl");
        await alice.CreateAsync(node, "alice's"u8.ToArray(), acl: Acls.Sasl(Alice));
        Assert.Equal([new Acl(Permissions.All, new ZooKeeperId("sasl", Alice))], (await alice.GetAclAsync(node)).Acl);
        Assert.Equal("alice's", Encoding.UTF8.GetString((await alice.GetDataAsync(node)).Data));

        // auth: (creator) expands to the SASL identity too.
        var creator = Clients.UniquePath("sasl-creator");
        await alice.CreateAsync(creator, Array.Empty<byte>(), acl: Acls.CreatorAll);
        Assert.Contains(new Acl(Permissions.All, ZooKeeperId.Sasl(Alice)), (await alice.GetAclAsync(creator)).Acl);

        await using var anonymous = await Clients.ConnectAsync(fixture.Optional.ConnectString);
        Assert.DoesNotContain(await anonymous.WhoAmIAsync(), i => i.AuthScheme == "sasl");
        await Assert.ThrowsAsync<NoAuthException>(async () => await anonymous.GetDataAsync(node));
        await Assert.ThrowsAsync<NoAuthException>(async () => await anonymous.GetDataAsync(creator));

        await using var bob = await ZooKeeperClient.ConnectAsync(SaslOptions(fixture.Optional.ConnectString, SaslServersFixture.Bob, SaslServersFixture.BobPassword));
        Assert.Contains(await bob.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == SaslServersFixture.Bob);
        await Assert.ThrowsAsync<NoAuthException>(async () => await bob.GetDataAsync(node));
        await Assert.ThrowsAsync<NoAuthException>(async () => await bob.SetDataAsync(node, "x"u8.ToArray()));

        await alice.DeleteAsync(node);
        await alice.DeleteAsync(creator);
        Assert.Contains(logs.Lines, l => l.Contains("SASL DIGEST-MD5 authentication with ZooKeeper", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(AlicePassword, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("wrong password")]
    [InlineData("unknown user")]
    [InlineData("wrong server principal")]
    public async Task A_refused_authentication_fails_once_clearly_and_is_not_retried(string fault)
    {
        var user = fault == "unknown user" ? "mallory" : Alice;
        var password = fault == "wrong password" ? "not-" + AlicePassword : AlicePassword;
        var asked = 0;
        using var logs = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = Clients.Options(fixture.Optional.ConnectString).UseSasl(s =>
        {
            s.Username = user;
            s.PasswordProvider = () =>
            {
                Interlocked.Increment(ref asked);
                return password;
            };
            if (fault == "wrong server principal")
            {
                s.ServerPrincipal = "zookeeper/somewhere-else";
            }
        });
        options.ReconnectBackoff = TimeSpan.FromMilliseconds(50);
        var client = new ZooKeeperClient(options, factory.CreateLogger<ZooKeeperClient>());
        await using (client)
        {
            var ex = await Assert.ThrowsAsync<AuthFailedException>(() => client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)));
            output.WriteLine(ex.Message);
            Assert.Contains("SASL DIGEST-MD5", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"'{user}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains(fixture.Optional.ConnectString, ex.Message, StringComparison.Ordinal);
            Assert.Contains("refused the credentials", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);

            Assert.Equal(ConnectionState.Lost, client.State);
            Assert.Equal(KeeperState.AuthFailed, client.KeeperState);
            await Assert.ThrowsAsync<AuthFailedException>(async () => await client.ExistsAsync("/"));

            // No retry loop: with a 50 ms backoff, a client that retried would have asked again many times by now.
            var window = Task.Delay(TimeSpan.FromSeconds(1));
            await window;
            Assert.Equal(1, Volatile.Read(ref asked));
            Assert.Single(logs.Lines, l => l.Contains("the client stops (state LOST, AuthFailed)", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, l => l.Contains(password, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_server_without_sasl_fails_clearly()
    {
        var ex = await Assert.ThrowsAsync<AuthFailedException>(() => ZooKeeperClient.ConnectAsync(SaslOptions(fixture.Plain.ConnectString)));
        output.WriteLine(ex.Message);
        Assert.Contains(fixture.Plain.ConnectString, ex.Message, StringComparison.Ordinal);
        Assert.Contains("SASL is not set up", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mechanism_the_server_refuses_is_named_in_the_error()
    {
        var options = Clients.Options(fixture.Optional.ConnectString).UseSasl(s =>
        {
            s.Username = Alice;
            s.MechanismFactory = _ => new PlainMechanism(Alice, AlicePassword);
        });
        var ex = await Assert.ThrowsAsync<AuthFailedException>(() => ZooKeeperClient.ConnectAsync(options));
        output.WriteLine(ex.Message);
        Assert.Contains("SASL PLAIN authentication as 'alice'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not speak PLAIN", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AlicePassword, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_requires_sasl_refuses_anonymous_sessions_clearly()
    {
        var client = await Clients.ConnectAsync(fixture.Required.ConnectString);
        await using (client)
        {
            var ex = await Assert.ThrowsAnyAsync<ZooKeeperException>(async () => await client.ExistsAsync("/"));
            output.WriteLine(ex.Message);
            Assert.Contains("requires SASL authentication", ex.Message, StringComparison.Ordinal);
            await Wait.UntilAsync(() => client.State == ConnectionState.Lost && client.KeeperState == KeeperState.AuthFailed);
            var later = await Assert.ThrowsAsync<AuthFailedException>(async () => await client.ExistsAsync("/"));
            Assert.Contains("sessionRequireClientSASLAuth", later.Message, StringComparison.Ordinal);
        }

        await using var alice = await ZooKeeperClient.ConnectAsync(SaslOptions(fixture.Required.ConnectString));
        Assert.NotNull(await alice.ExistsAsync("/"));
    }

    [Fact]
    public async Task After_a_reconnect_sasl_comes_first_then_credentials_watches_and_queued_requests_in_order()
    {
        // On a server that closes any session sending a request before SASL, queued work after a reconnect works only
        // if SASL went first.
        await using var proxy = new TcpProxy(fixture.Required.Port);
        await using var alice = await ZooKeeperClient.ConnectAsync(SaslOptions(proxy.ConnectString).AddDigest("dave", "dave-pw"));
        var root = Clients.UniquePath("sasl-replay");
        await alice.CreateAsync(root, Array.Empty<byte>(), acl: Acls.Sasl(Alice));
        var watched = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await alice.ExistsAsync(root + "/child", e => watched.TrySetResult(e));
        var session = alice.SessionId;

        proxy.Block();
        await Wait.UntilAsync(() => alice.State == ConnectionState.Suspended);
        var queued = new List<Task<CreateResult>>();
        for (var i = 0; i < 20; i++)
        {
            queued.Add(alice.CreateAsync($"{root}/q{i:D2}", Array.Empty<byte>(), acl: Acls.Sasl(Alice)).AsTask());
        }

        var create = alice.CreateAsync(root + "/child", Array.Empty<byte>(), acl: [new Acl(Permissions.All, ZooKeeperId.Digest("dave", "dave-pw"))]);
        proxy.Unblock();
        await alice.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(session, alice.SessionId);
        await Task.WhenAll(queued).WithTimeout();
        await create.AsTask().WithTimeout();
        Assert.Equal(EventType.NodeCreated, (await watched.Task.WithTimeout()).Type);

        var identities = await alice.WhoAmIAsync();
        Assert.Contains(identities, i => i.AuthScheme == "sasl" && i.User == Alice);
        Assert.Contains(identities, i => i.AuthScheme == "digest" && i.User == "dave");
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"q{i:D2}").Append("child").Order(), (await alice.GetChildrenAsync(root)).Order());
    }

    [Fact]
    public async Task Sasl_works_over_tls()
    {
        var options = SaslOptions(fixture.Optional.SecureConnectString).UseTls(t => t.CaCertificatesFile = TestCertificates.Shared.Ca.CertificatePemPath);
        await using var alice = await ZooKeeperClient.ConnectAsync(options);
        Assert.NotNull(alice.TlsProtocol);
        Assert.Contains(await alice.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == Alice);
        var node = Clients.UniquePath("sasl-tls");
        await alice.CreateAsync(node, "tls"u8.ToArray(), acl: Acls.Sasl(Alice, Permissions.Read | Permissions.Delete | Permissions.Write));
        Assert.Equal("tls", Encoding.UTF8.GetString((await alice.GetDataAsync(node)).Data));
        await alice.DeleteAsync(node);
    }

    [Fact]
    public async Task Java_client_and_ours_honour_each_others_sasl_acls()
    {
        var dir = Directory.CreateTempSubdirectory("orleans-zk-sasl-java-");
        using var cleanup = new DirectoryCleanup(dir);
        var aliceJaas = Path.Combine(dir.FullName, "jaas-alice.conf");
        ZooKeeperServerSaslOptions.WriteClientJaasFile(aliceJaas, Alice, AlicePassword);
        var server = fixture.Optional.ConnectString;
        await using var alice = await ZooKeeperClient.ConnectAsync(SaslOptions(server));
        await using var anonymous = await Clients.ConnectAsync(server);

        // Ours creates, Java reads.
        var ours = Clients.UniquePath("sasl-ours");
        await alice.CreateAsync(ours, "written-by-dotnet"u8.ToArray(), acl: Acls.Sasl(Alice));
        var asAlice = await JavaZooKeeperCli.RunAsync(server, ["get", ours], aliceJaas);
        output.WriteLine(asAlice.ToString());
        Assert.Contains("written-by-dotnet", asAlice.Output, StringComparison.Ordinal);
        var asNobody = await JavaZooKeeperCli.RunAsync(server, ["get", ours]);
        output.WriteLine(asNobody.ToString());
        Assert.DoesNotContain("written-by-dotnet", asNobody.Output, StringComparison.Ordinal);
        Assert.Contains("Insufficient permission", asNobody.Output + asNobody.Error, StringComparison.Ordinal);

        // Java creates, ours reads.
        var java = Clients.UniquePath("sasl-java");
        var created = await JavaZooKeeperCli.RunAsync(server, ["create", java, "written-by-java", "sasl:alice:cdrwa"], aliceJaas);
        output.WriteLine(created.ToString());
        Assert.Equal("written-by-java", Encoding.UTF8.GetString((await alice.GetDataAsync(java)).Data));
        Assert.Equal([new Acl(Permissions.All, ZooKeeperId.Sasl(Alice))], (await alice.GetAclAsync(java)).Acl);
        await Assert.ThrowsAsync<NoAuthException>(async () => await anonymous.GetDataAsync(java));

        await alice.DeleteAsync(ours);
        await alice.DeleteAsync(java);
    }

    [Fact]
    public async Task The_password_provider_is_asked_on_every_connection()
    {
        await using var proxy = new TcpProxy(fixture.Optional.Port);
        var asked = 0;
        var options = Clients.Options(proxy.ConnectString).UseSasl(s =>
        {
            s.Username = Alice;
            s.PasswordProvider = () =>
            {
                Interlocked.Increment(ref asked);
                return AlicePassword;
            };
        });
        await using var alice = await ZooKeeperClient.ConnectAsync(options);
        Assert.Equal(1, Volatile.Read(ref asked));
        proxy.Block();
        await Wait.UntilAsync(() => alice.State == ConnectionState.Suspended);
        proxy.Unblock();
        await alice.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, Volatile.Read(ref asked));
        Assert.Contains(await alice.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == Alice);
        Assert.Equal("SASL DIGEST-MD5 as 'alice'", options.Sasl!.ToString());
    }

    private sealed class DirectoryCleanup(DirectoryInfo directory) : IDisposable
    {
        public void Dispose() => directory.Delete(recursive: true);
    }

    /// <summary>SASL PLAIN (RFC 4616), which ZooKeeper's DIGEST-MD5 server does not speak.</summary>
    private sealed class PlainMechanism(string user, string password) : ISaslClientMechanism
    {
        public string Name => "PLAIN";

        public bool IsComplete { get; private set; }

        public byte[] GetInitialResponse()
        {
            IsComplete = true;
            return Encoding.UTF8.GetBytes("\0" + user + "\0" + password);
        }

        public byte[]? EvaluateChallenge(ReadOnlySpan<byte> challenge) => throw new InvalidOperationException("PLAIN takes no challenge");

        public void Dispose()
        {
        }
    }
}

/// <summary>SASL on a 3-node ensemble that requires it: the identity survives failover to another server.</summary>
public sealed class SaslEnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Failover_to_another_server_keeps_the_sasl_identity()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions
        {
            Sasl = new ZooKeeperServerSaslOptions { Users = SaslServersFixture.Users, RequireClientSasl = true },
        });
        var options = Clients.Options(ensemble.ConnectString, TimeSpan.FromSeconds(8)).UseSasl(SaslServersFixture.Alice, SaslServersFixture.AlicePassword);
        await using var alice = await ZooKeeperClient.ConnectAsync(options);
        var root = Clients.UniquePath("sasl-failover");
        await alice.CreateAsync(root, "before"u8.ToArray(), acl: Acls.Sasl(SaslServersFixture.Alice));
        var session = alice.SessionId;
        var watched = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await alice.GetDataAsync(root, e => watched.TrySetResult(e));

        var victim = ensemble.Nodes.Single(n => n.ConnectString == alice.CurrentServer);
        output.WriteLine($"connected to {alice.CurrentServer}; killing node {victim.Index}");
        await victim.KillAsync();
        await Wait.UntilAsync(() => alice.State == ConnectionState.Connected && alice.CurrentServer != victim.ConnectString, TimeSpan.FromSeconds(30), "reconnected to another server");
        Assert.Equal(session, alice.SessionId);
        Assert.Contains(await alice.WhoAmIAsync(), i => i.AuthScheme == "sasl" && i.User == SaslServersFixture.Alice);

        // Writes and watches go on under the same identity (the server closes any session that skips SASL).
        await alice.SetDataAsync(root, "after"u8.ToArray());
        Assert.Equal(EventType.NodeDataChanged, (await watched.Task.WithTimeout()).Type);
        Assert.Equal("after", Encoding.UTF8.GetString((await alice.GetDataAsync(root)).Data));

        // An anonymous session on a surviving server is refused.
        var survivor = ensemble.Nodes.First(n => n.IsRunning);
        await using var anonymous = await Clients.ConnectAsync(survivor.ConnectString);
        await Assert.ThrowsAnyAsync<ZooKeeperException>(async () => await anonymous.GetDataAsync(root));
    }
}
