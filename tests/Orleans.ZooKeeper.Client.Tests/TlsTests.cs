using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Orleans.ZooKeeper.Testing;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// The TLS servers the client TLS tests share, started together: two good ones (TLS 1.2 and 1.3, client auth
/// <c>need</c> and <c>none</c>) and two that present a bad certificate (expired, issued for another host). The tests
/// only create their own nodes and sessions, so they do not disturb each other.
/// </summary>
public sealed class TlsServersFixture : IAsyncLifetime
{
    public static TestCertificates Certs => TestCertificates.Shared;

    /// <summary>TLS 1.2 + 1.3, a client certificate is required (<c>ssl.clientAuth=need</c>).</summary>
    public ZooKeeperServer Mutual { get; private set; } = null!;

    /// <summary>TLS 1.2 + 1.3, no client certificate asked for; its plain port serves too.</summary>
    public ZooKeeperServer OneWay { get; private set; } = null!;

    /// <summary>Presents <see cref="TestCertificates.ExpiredServer"/>.</summary>
    public ZooKeeperServer Expired { get; private set; } = null!;

    /// <summary>Presents <see cref="TestCertificates.WrongHostServer"/> (issued for wrong.example.invalid only).</summary>
    public ZooKeeperServer WrongHost { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var certs = Certs;
        Task<ZooKeeperServer> Start(ZooKeeperTlsClientAuth auth, TestLeafCertificate? certificate = null) => ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
        {
            Tls = certs.CreateServerTlsOptions(auth, ZooKeeperTlsProtocols.Tls12And13, certificate),
        });

        var mutual = Start(ZooKeeperTlsClientAuth.Need);
        var oneWay = Start(ZooKeeperTlsClientAuth.None);
        var expired = Start(ZooKeeperTlsClientAuth.None, certs.ExpiredServer);
        var wrongHost = Start(ZooKeeperTlsClientAuth.None, certs.WrongHostServer);
        try
        {
            await Task.WhenAll(mutual, oneWay, expired, wrongHost);
        }
        finally
        {
            // Keep whatever started, so DisposeAsync stops it even when another one failed.
            Mutual = mutual.IsCompletedSuccessfully ? mutual.Result : null!;
            OneWay = oneWay.IsCompletedSuccessfully ? oneWay.Result : null!;
            Expired = expired.IsCompletedSuccessfully ? expired.Result : null!;
            WrongHost = wrongHost.IsCompletedSuccessfully ? wrongHost.Result : null!;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Mutual, OneWay, Expired, WrongHost })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TlsServersCollection : ICollectionFixture<TlsServersFixture>
{
    public const string Name = "TLS servers";
}

/// <summary>TLS against real servers: versions, mutual TLS, and every way a TLS connection can be misconfigured.</summary>
[Collection(TlsServersCollection.Name)]
public sealed class TlsTests(TlsServersFixture fixture, ITestOutputHelper output)
{
    /// <summary>How long a misconfigured client is watched while it retries.</summary>
    private static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(2);

    private static TestCertificates Certs => TlsServersFixture.Certs;

    /// <summary>Trusts only the test CA (from its PEM file).</summary>
    private static ZooKeeperClientOptions TlsOptions(string connectString, Action<ZooKeeperTlsOptions>? configure = null)
        => Clients.Options(connectString).UseTls(t =>
        {
            t.CaCertificatesFile = Certs.Ca.CertificatePemPath;
            configure?.Invoke(t);
        });

    private static void WithClientPem(ZooKeeperTlsOptions t)
    {
        t.ClientCertificateFile = Certs.Client.CertificatePemPath;
        t.ClientKeyFile = Certs.Client.PrivateKeyPemPath;
    }

    [Theory]
    [InlineData(SslProtocols.Tls12, "Tls12")]
    [InlineData(SslProtocols.Tls13, "Tls13")]
    public async Task Pinned_TLS_version_connects_and_operations_work(SslProtocols protocol, string expected)
    {
        var options = TlsOptions(fixture.OneWay.SecureConnectString, t => t.EnabledProtocols = protocol);
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(expected, client.TlsProtocol);
        Assert.Equal(fixture.OneWay.SecureConnectString, client.CurrentServer);
        Assert.Null(client.LastConnectError);

        var path = Clients.UniquePath("tls-" + expected);
        await client.CreateAsync(path, "over tls"u8.ToArray());
        Assert.Equal("over tls", Encoding.UTF8.GetString((await client.GetDataAsync(path)).Data));
        Assert.Equal(1, (await client.SetDataAsync(path, "changed"u8.ToArray(), 0)).Version);
        Assert.Equal("changed", Encoding.UTF8.GetString((await client.GetDataAsync(path)).Data));
        await client.DeleteAsync(path, 1);
        Assert.Null(await client.ExistsAsync(path));

        // The session is on the TLS port: the server lists it there, not among its plain-port connections.
        var tls = new SslClientAuthenticationOptions { TargetHost = "127.0.0.1", CertificateChainPolicy = Certs.CreateTrustPolicy() };
        Assert.Contains(client.SessionId, await fixture.OneWay.GetConnectedSessionIdsAsync(tls));
        Assert.DoesNotContain(client.SessionId, await fixture.OneWay.GetConnectedSessionIdsAsync());
    }

    [Theory]
    [InlineData("PEM certificate + PEM key")]
    [InlineData("PKCS#12 + password")]
    [InlineData("PEM certificate + encrypted PEM key + password")]
    public async Task Mutual_TLS_gives_the_session_the_client_certificate_identity(string form)
    {
        var options = TlsOptions(fixture.Mutual.SecureConnectString, t =>
        {
            switch (form)
            {
                case "PEM certificate + PEM key":
                    WithClientPem(t);
                    break;
                case "PKCS#12 + password":
                    t.ClientCertificateFile = Certs.Client.Pkcs12Path;
                    t.ClientCertificatePassword = Certs.Client.Password;
                    break;
                default:
                    t.ClientCertificateFile = Certs.Client.CertificatePemPath;
                    t.ClientKeyFile = Certs.Client.EncryptedPrivateKeyPemPath;
                    t.ClientCertificatePassword = Certs.Client.Password;
                    break;
            }
        });

        await using var client = await ZooKeeperClient.ConnectAsync(options);
        Assert.Equal("Tls13", client.TlsProtocol); // the OS default with a 1.2 + 1.3 server
        var identities = await client.WhoAmIAsync();
        output.WriteLine($"{form}: whoAmI = {string.Join(", ", identities)}");
        Assert.Contains(new ClientInfo("x509", TestCertificates.ClientSubject), identities);

        var path = Clients.UniquePath("mtls");
        await client.CreateAsync(path, "mine"u8.ToArray());
        Assert.Equal("mine", Encoding.UTF8.GetString((await client.GetDataAsync(path)).Data));
        await client.DeleteAsync(path);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.None)] // TLS 1.3: the server refuses the missing certificate after the client's side of the handshake
    public async Task Without_a_client_certificate_a_server_that_needs_one_is_not_connected_and_the_error_says_why(SslProtocols protocol)
    {
        await using var proxy = new TcpProxy(fixture.Mutual.SecurePort);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString, t => t.EnabledProtocols = protocol));
        Assert.Contains("client certificate", message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ClientCertificateFile", message, StringComparison.Ordinal);

        await using var good = await ZooKeeperClient.ConnectAsync(TlsOptions(proxy.ConnectString, t => { t.EnabledProtocols = protocol; WithClientPem(t); }));
        Assert.Contains(new ClientInfo("x509", TestCertificates.ClientSubject), await good.WhoAmIAsync());
    }

    [Fact]
    public async Task A_client_certificate_the_server_refuses_is_named_in_the_error()
    {
        // An expired certificate (for a server, at that) as the client's: the server checks it after the client's
        // side of the TLS 1.3 handshake and ends the connection.
        await using var proxy = new TcpProxy(fixture.Mutual.SecurePort);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString, t =>
        {
            t.ClientCertificateFile = Certs.ExpiredServer.CertificatePemPath;
            t.ClientKeyFile = Certs.ExpiredServer.PrivateKeyPemPath;
        }));
        Assert.Contains("TLS", message, StringComparison.Ordinal);
        Assert.Contains($"refused the one configured ('{TestCertificates.ServerSubject}')", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_certificate_from_another_CA_is_rejected_clearly()
    {
        await using var proxy = new TcpProxy(fixture.OneWay.SecurePort);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString, t => t.CaCertificatesFile = Certs.WrongCa.CertificatePemPath));
        Assert.Contains("TLS", message, StringComparison.Ordinal);
        Assert.Contains("certificate", message, StringComparison.Ordinal);
        Assert.Contains(TestCertificates.ServerSubject, message, StringComparison.Ordinal);
        Assert.Contains("not issued by the configured CA", message, StringComparison.Ordinal);

        await using var good = await ZooKeeperClient.ConnectAsync(TlsOptions(proxy.ConnectString));
        Assert.NotNull(good.TlsProtocol);
    }

    [Fact]
    public async Task A_server_certificate_for_another_host_is_rejected_unless_the_host_name_check_is_off()
    {
        await using var proxy = new TcpProxy(fixture.WrongHost.SecurePort);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString));
        Assert.Contains("TLS", message, StringComparison.Ordinal);
        Assert.Contains("not issued for '127.0.0.1'", message, StringComparison.Ordinal);
        Assert.Contains("CheckHostName", message, StringComparison.Ordinal);
        Assert.DoesNotContain("chain", message, StringComparison.Ordinal); // the CA is right; only the name is wrong

        await using var lenient = await ZooKeeperClient.ConnectAsync(TlsOptions(proxy.ConnectString, t => t.CheckHostName = false));
        Assert.NotNull(lenient.TlsProtocol);
        var path = Clients.UniquePath("wrong-host");
        await lenient.CreateAsync(path);
        await lenient.DeleteAsync(path);
    }

    [Fact]
    public async Task An_expired_server_certificate_is_rejected_clearly()
    {
        await using var proxy = new TcpProxy(fixture.Expired.SecurePort);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString));
        Assert.Contains("TLS", message, StringComparison.Ordinal);
        Assert.Contains("NotTimeValid", message, StringComparison.Ordinal);
        Assert.Contains("expired", message, StringComparison.Ordinal);
        Assert.DoesNotContain("not issued by", message, StringComparison.Ordinal); // the chain ends at the configured CA

        // RemoteCertificateValidation replaces the built-in checks; the chain it sees was built with the configured CA
        // as the only root, so "expired" is the only complaint and the callback can accept exactly that.
        var seen = X509ChainStatusFlags.NoError;
        var options = TlsOptions(proxy.ConnectString, t => t.RemoteCertificateValidation = (_, _, chain, errors) =>
        {
            seen = chain!.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            return errors == SslPolicyErrors.RemoteCertificateChainErrors && seen == X509ChainStatusFlags.NotTimeValid;
        });
        await using var accepting = await ZooKeeperClient.ConnectAsync(options);
        Assert.Equal(X509ChainStatusFlags.NotTimeValid, seen);
        Assert.NotNull(await accepting.ExistsAsync("/"));
    }

    [Fact]
    public async Task A_plaintext_client_on_the_TLS_port_is_told_it_is_a_TLS_port()
    {
        await using var proxy = new TcpProxy(fixture.OneWay.SecurePort);
        var message = await AssertRefusedAsync(proxy, Clients.Options(proxy.ConnectString));
        Assert.Contains("TLS port", message, StringComparison.Ordinal);

        await using var good = await ZooKeeperClient.ConnectAsync(TlsOptions(proxy.ConnectString));
        Assert.NotNull(good.TlsProtocol);
    }

    [Fact]
    public async Task A_TLS_client_on_the_plaintext_port_is_told_it_may_be_a_plaintext_port()
    {
        await using var proxy = new TcpProxy(fixture.OneWay.Port);
        var message = await AssertRefusedAsync(proxy, TlsOptions(proxy.ConnectString));
        Assert.Contains("TLS handshake", message, StringComparison.Ordinal);
        Assert.Contains("plaintext port", message, StringComparison.Ordinal);

        await using var good = await ZooKeeperClient.ConnectAsync(Clients.Options(proxy.ConnectString));
        Assert.Null(good.TlsProtocol);
    }

    [Fact]
    public void Missing_or_unusable_files_fail_at_construction_naming_the_setting_and_the_path()
    {
        var missing = Path.Combine(Certs.Directory, "no-such-file.pem");
        ArgumentException Construct(Action<ZooKeeperTlsOptions> configure)
            => Assert.ThrowsAny<ArgumentException>(() => new ZooKeeperClient(TlsOptions("127.0.0.1:1", configure)));

        var ca = Construct(t => t.CaCertificatesFile = missing);
        Assert.Equal(nameof(ZooKeeperTlsOptions.CaCertificatesFile), ca.ParamName);
        Assert.Contains("CaCertificatesFile", ca.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ca.Message, StringComparison.Ordinal);

        var cert = Construct(t => t.ClientCertificateFile = missing);
        Assert.Equal(nameof(ZooKeeperTlsOptions.ClientCertificateFile), cert.ParamName);
        Assert.Contains("ClientCertificateFile", cert.Message, StringComparison.Ordinal);
        Assert.Contains(missing, cert.Message, StringComparison.Ordinal);

        var key = Construct(t => { t.ClientCertificateFile = Certs.Client.CertificatePemPath; t.ClientKeyFile = missing; });
        Assert.Equal(nameof(ZooKeeperTlsOptions.ClientKeyFile), key.ParamName);
        Assert.Contains(missing, key.Message, StringComparison.Ordinal);

        // A file that holds no certificate, and a wrong password: named, and the password is not shown.
        var notCa = Construct(t => t.CaCertificatesFile = Certs.Client.PrivateKeyPemPath);
        Assert.Contains("CaCertificatesFile", notCa.Message, StringComparison.Ordinal);
        Assert.Contains(Certs.Client.PrivateKeyPemPath, notCa.Message, StringComparison.Ordinal);
        const string WrongPassword = "not-the-pkcs12-password";
        var password = Construct(t => { t.ClientCertificateFile = Certs.Client.Pkcs12Path; t.ClientCertificatePassword = WrongPassword; });
        Assert.Contains(Certs.Client.Pkcs12Path, password.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, password.ToString(), StringComparison.Ordinal);
        var encrypted = Construct(t => { t.ClientCertificateFile = Certs.Client.CertificatePemPath; t.ClientKeyFile = Certs.Client.EncryptedPrivateKeyPemPath; t.ClientCertificatePassword = WrongPassword; });
        Assert.Contains(Certs.Client.EncryptedPrivateKeyPemPath, encrypted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, encrypted.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Connects through <paramref name="proxy"/> and expects no connection for <see cref="RetryWindow"/>: the wait
    /// fails with the last attempt's error, which names the server; the state stays LOST; the client retries with
    /// backoff, not in a hot loop. Returns the error message.
    /// </summary>
    private async Task<string> AssertRefusedAsync(TcpProxy proxy, ZooKeeperClientOptions options)
    {
        await using var client = new ZooKeeperClient(options);
        var states = new StateRecorder(client);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ConnectionLossException>(() => client.WaitUntilConnectedAsync(RetryWindow));
        var attempts = proxy.AcceptedCount;
        var elapsed = clock.Elapsed;
        var last = client.LastConnectError;
        output.WriteLine($"{attempts} connection attempts in {elapsed.TotalMilliseconds:0} ms; last error: {last?.Message}");

        Assert.NotNull(last);
        Assert.StartsWith(proxy.ConnectString + ": ", last.Message, StringComparison.Ordinal);
        Assert.EndsWith("; last attempt: " + last.Message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Lost, client.State);
        Assert.Empty(states.Snapshot());
        Assert.Equal(0, client.SessionId);

        // One server: after each failure the client waits 50, 100, 200, 400, then ~500 ms (half to all of it, with
        // jitter) — at most about 11 attempts in 2 s. A hot loop would make hundreds.
        Assert.InRange(attempts, 2, 14);
        return last.Message;
    }
}

/// <summary>A 3-node ensemble with mutual TLS on every node's secure port.</summary>
public sealed class TlsEnsembleFixture : IAsyncLifetime
{
    public ZooKeeperEnsemble Ensemble { get; private set; } = null!;

    public async Task InitializeAsync() => Ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions
    {
        Tls = TestCertificates.Shared.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Need, ZooKeeperTlsProtocols.Tls12And13),
    });

    public async Task DisposeAsync() => await Ensemble.DisposeAsync();
}

public sealed class TlsFailoverTests(TlsEnsembleFixture fixture, ITestOutputHelper output) : IClassFixture<TlsEnsembleFixture>
{
    [Fact]
    public async Task Killing_the_serving_node_resumes_the_same_session_on_another_node_over_TLS()
    {
        var certs = TestCertificates.Shared;
        var ensemble = fixture.Ensemble;
        var options = Clients.Options(ensemble.SecureConnectString, TimeSpan.FromSeconds(10)).UseTls(t =>
        {
            t.CaCertificatesFile = certs.Ca.CertificatePemPath;
            t.ClientCertificateFile = certs.Client.CertificatePemPath;
            t.ClientKeyFile = certs.Client.PrivateKeyPemPath;
        });
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var states = await StateRecorder.AfterConnectAsync(client);
        var session = client.SessionId;
        Assert.NotNull(client.TlsProtocol);

        var root = Clients.UniquePath("tls-failover");
        await client.CreateAsync(root, "before"u8.ToArray());
        var ephemeral = (await client.CreateAsync(root + "/e-", "mine"u8.ToArray(), CreateMode.EphemeralSequential)).Path;

        // The harness asks each node's TLS port (with the client certificate: the nodes need one) who serves the session.
        var probe = new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            CertificateChainPolicy = certs.CreateTrustPolicy(),
            ClientCertificates = [certs.Client.Certificate],
        };
        var serving = await ensemble.FindNodeServingSessionAsync(session, probe);
        Assert.NotNull(serving);
        Assert.Equal(serving.SecureConnectString, client.CurrentServer);
        output.WriteLine($"session 0x{session:x} on node {serving.Index} ({client.CurrentServer}, {client.TlsProtocol}); killing it");

        var clock = Stopwatch.StartNew();
        await ensemble.KillNodeAsync(serving.Index);
        await states.WaitForAsync(s => s.Any(c => c.State == ConnectionState.Suspended), TimeSpan.FromSeconds(5));
        await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"resumed on {client.CurrentServer} over {client.TlsProtocol} after {clock.ElapsedMilliseconds} ms; states {string.Join(",", states.States)}");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"resumed only after {clock.Elapsed}");
        Assert.Equal(session, client.SessionId);
        Assert.NotNull(client.TlsProtocol);
        Assert.NotEqual(serving.SecureConnectString, client.CurrentServer);
        Assert.Contains(client.CurrentServer, ensemble.Nodes.Where(n => n.Index != serving.Index).Select(n => n.SecureConnectString));
        Assert.DoesNotContain(states.Snapshot(), c => c.State == ConnectionState.Lost);
        var now = await ensemble.FindNodeServingSessionAsync(session, probe);
        Assert.NotNull(now);
        Assert.NotEqual(serving.Index, now.Index);

        // The session lived on: its ephemeral node is still there and still its own; data written before is readable.
        Assert.Equal("before", Encoding.UTF8.GetString((await client.GetDataAsync(root)).Data));
        var stat = await client.ExistsAsync(ephemeral);
        Assert.NotNull(stat);
        Assert.Equal(session, stat.Value.EphemeralOwner);
        Assert.Equal("mine", Encoding.UTF8.GetString((await client.GetDataAsync(ephemeral)).Data));
        Assert.Contains(new ClientInfo("x509", TestCertificates.ClientSubject), await client.WhoAmIAsync());

        await client.DeleteRecursiveAsync(root);
    }
}
