using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Testing.Tests;

public class TlsServerTests(ITestOutputHelper output)
{
    private static TestCertificates Certs => TestCertificates.Shared;

    [Fact]
    public async Task TlsSettingsReachZooCfgWithoutStarting()
    {
        ZooKeeperServerTlsOptions tls = Certs.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Need, ZooKeeperTlsProtocols.Tls12And13);
        await using var server = new ZooKeeperServer(new ZooKeeperServerOptions { Tls = tls });

        Assert.True(server.IsTlsEnabled);
        Assert.NotEqual(server.Port, server.SecurePort);
        Assert.Equal("127.0.0.1:" + server.SecurePort, server.SecureConnectString);
        string[] config = await File.ReadAllLinesAsync(server.ConfigPath);
        Assert.Contains("serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory", config);
        Assert.Contains("clientPort=" + server.Port, config);
        Assert.Contains("secureClientPort=" + server.SecurePort, config);
        Assert.Contains("secureClientPortAddress=127.0.0.1", config);
        Assert.Contains("ssl.keyStore.location=" + Certs.Server.KeyStorePemPath, config);
        Assert.Contains("ssl.keyStore.type=PEM", config);
        Assert.Contains("ssl.trustStore.location=" + Certs.Ca.CertificatePemPath, config);
        Assert.Contains("ssl.trustStore.type=PEM", config);
        Assert.Contains("ssl.clientAuth=need", config);
        Assert.Contains("ssl.enabledProtocols=TLSv1.2,TLSv1.3", config);
        Assert.Contains(config, line => line.StartsWith("ssl.ciphersuites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_ECDHE_", StringComparison.Ordinal));

        // Defaults: no client auth, TLS 1.2 only with ZooKeeper's own TLS 1.2 suites; want.
        await using (var defaults = new ZooKeeperServer(new ZooKeeperServerOptions { Tls = Certs.CreateServerTlsOptions() }))
        {
            string[] lines = await File.ReadAllLinesAsync(defaults.ConfigPath);
            Assert.Contains("ssl.clientAuth=none", lines);
            Assert.Contains("ssl.protocol=TLSv1.2", lines);
            Assert.Contains("ssl.enabledProtocols=TLSv1.2", lines);
            Assert.Contains("ssl.ciphersuites=" + string.Join(',', ZooKeeperServerTlsOptions.Tls12CipherSuites), lines);
            Assert.DoesNotContain(lines, line => line.StartsWith("ssl.keyStore.password", StringComparison.Ordinal));
        }

        await using (var want = new ZooKeeperServer(new ZooKeeperServerOptions { Tls = Certs.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Want) }))
        {
            Assert.Contains("ssl.clientAuth=want", await File.ReadAllLinesAsync(want.ConfigPath));
        }

        // Without TLS there is no secure port.
        await using var plain = new ZooKeeperServer();
        Assert.False(plain.IsTlsEnabled);
        Assert.Throws<InvalidOperationException>(() => plain.SecurePort);
        Assert.Throws<InvalidOperationException>(() => plain.SecureConnectString);
        Assert.DoesNotContain(await File.ReadAllLinesAsync(plain.ConfigPath), line => line.StartsWith("ssl.", StringComparison.Ordinal) || line.StartsWith("secure", StringComparison.Ordinal));

        // A missing store file fails before anything is created.
        var missing = tls with { TrustStorePath = Path.Combine(Certs.Directory, "no-such-ca.pem") };
        Assert.Throws<FileNotFoundException>(() => new ZooKeeperServer(new ZooKeeperServerOptions { Tls = missing }));
        Assert.Throws<ArgumentException>(() => new ZooKeeperServer(new ZooKeeperServerOptions { Tls = tls with { Protocols = 0 } }));
    }

    [Fact]
    public async Task Tls12ServerCompletesHandshakeAndConnectRequest()
    {
        CancellationToken ct = TestUtil.Timeout();
        var clock = Stopwatch.StartNew();
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { Tls = Certs.CreateServerTlsOptions() }, ct);
        output.WriteLine($"TLS server serving in {clock.ElapsedMilliseconds} ms: {server}");
        string cmdline = (await File.ReadAllTextAsync($"/proc/{server.Pid}/cmdline", ct)).Replace('\0', ' ');
        Assert.Contains(":/usr/share/java/netty-codec.jar:", cmdline);

        // TLS 1.2, trusting only the test CA; the certificate's IP SAN matches 127.0.0.1.
        var client = new TlsClient(SslProtocols.Tls12, Certs.Ca);
        clock.Restart();
        await using (SslStream tls = await RawSession.HandshakeAsync(server.SecurePort, client.Options, ct))
        {
            output.WriteLine($"handshake in {clock.ElapsedMilliseconds} ms: {tls.SslProtocol}, {tls.NegotiatedCipherSuite}");
            Assert.Equal(SslProtocols.Tls12, tls.SslProtocol);
            Assert.Equal(SslPolicyErrors.None, client.LastErrors);
            Assert.Equal(Certs.Server.Certificate.Thumbprint, Assert.IsType<X509Certificate2>(tls.RemoteCertificate, exactMatch: false).Thumbprint);
            Assert.Null(tls.LocalCertificate);
        }

        // ConnectRequest / ConnectResponse over TLS; the plain port serves at the same time.
        await using (RawSession session = await RawSession.ConnectTlsAsync(server.SecurePort, client.Options, 6000, ct))
        await using (RawSession plainSession = await RawSession.ConnectAsync(server.Port, 6000, ct))
        {
            Assert.NotEqual(0, session.SessionId);
            Assert.Equal(6000, session.NegotiatedTimeout);
            Assert.NotEqual(plainSession.SessionId, session.SessionId);
            Assert.Equal(SslProtocols.Tls12, session.Tls!.SslProtocol);

            // cons lists only the connections of the port it arrives on.
            IReadOnlyList<long> plainPortSessions = await server.GetConnectedSessionIdsAsync(ct);
            Assert.Contains(plainSession.SessionId, plainPortSessions);
            Assert.DoesNotContain(session.SessionId, plainPortSessions);
            IReadOnlyList<long> allSessions = await server.GetConnectedSessionIdsAsync(client.Options, ct);
            Assert.Contains(plainSession.SessionId, allSessions);
            Assert.Contains(session.SessionId, allSessions);
            Assert.Contains("Mode: standalone", await server.SecureFourLetterWordAsync("srvr", client.Options, cancellationToken: ct));
        }

        // The DNS SAN matches localhost too.
        var byName = new TlsClient(SslProtocols.Tls12, Certs.Ca, targetHost: "localhost");
        await (await RawSession.HandshakeAsync(server.SecurePort, byName.Options, ct)).DisposeAsync();
        Assert.Equal(SslPolicyErrors.None, byName.LastErrors);

        // A TLS 1.3-only client finds no common protocol.
        var tls13 = new TlsClient(SslProtocols.Tls13, Certs.Ca);
        await AssertHandshakeFailsAsync(server.SecurePort, tls13.Options, ct);

        // A client that trusts only the wrong CA rejects the server's chain.
        var wrongTrust = new TlsClient(SslProtocols.Tls12, Certs.WrongCa);
        await AssertHandshakeFailsAsync(server.SecurePort, wrongTrust.Options, ct);
        Assert.True(wrongTrust.LastErrors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors), wrongTrust.LastErrors.ToString());

        // A plaintext ConnectRequest on the secure port: the server drops the connection and logs why.
        await Assert.ThrowsAnyAsync<IOException>(() => RawSession.ConnectAsync(server.SecurePort, 6000, ct));
        await TestWait.UntilAsync(
            () => server.ReadLogTail(200).Contains("NotSslRecordException: not an SSL/TLS record: 0000002d", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the server logs the plaintext ConnectRequest on its TLS port");
        output.WriteLine("server log on a plaintext ConnectRequest to the TLS port:\n" + string.Join(
            '\n', server.ReadLogTail(200).Split('\n').Where(line => line.Contains("handshake", StringComparison.Ordinal) || line.Contains("SSL", StringComparison.Ordinal)).Take(4)));

        // Kill and start again: same secure port, TLS works again.
        int securePort = server.SecurePort;
        await server.KillAsync(ct);
        clock.Restart();
        await server.StartAsync(ct);
        output.WriteLine($"restarted in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(securePort, server.SecurePort);
        await using (RawSession again = await RawSession.ConnectTlsAsync(server.SecurePort, client.Options, 6000, ct))
        {
            Assert.NotEqual(0, again.SessionId);
        }
    }

    [Fact]
    public async Task NeedClientAuthServerAcceptsOnlyClientsWithCertificateOverTls12And13()
    {
        CancellationToken ct = TestUtil.Timeout();
        var clock = Stopwatch.StartNew();
        // The key store holds an encrypted key (ZooKeeper-readable PBE): ssl.keyStore.password.
        var options = new ZooKeeperServerOptions
        {
            Tls = Certs.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Need, ZooKeeperTlsProtocols.Tls12And13) with
            {
                KeyStorePath = Certs.Server.EncryptedKeyStorePemPath,
                KeyStorePassword = Certs.Password,
            },
        };
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(options, ct);
        output.WriteLine($"TLS server serving in {clock.ElapsedMilliseconds} ms: {server}");

        // TLS 1.3 with the client certificate.
        var tls13 = new TlsClient(SslProtocols.Tls13, Certs.Ca, Certs.Client.Certificate);
        await using (RawSession session = await RawSession.ConnectTlsAsync(server.SecurePort, tls13.Options, 6000, ct))
        {
            output.WriteLine($"TLS 1.3: {session.Tls!.NegotiatedCipherSuite}");
            Assert.Equal(SslProtocols.Tls13, session.Tls.SslProtocol);
            Assert.Contains(session.Tls.NegotiatedCipherSuite, new[] { TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384 });
            Assert.Equal(Certs.Client.Certificate.Thumbprint, session.Tls.LocalCertificate?.GetCertHashString());
            Assert.Equal(SslPolicyErrors.None, tls13.LastErrors);
            Assert.NotEqual(0, session.SessionId);
        }

        // TLS 1.2 with the client certificate, loaded from the PKCS#12 file and from the PEM files.
        using X509Certificate2 fromPkcs12 = X509CertificateLoader.LoadPkcs12FromFile(Certs.Client.Pkcs12Path, Certs.Client.Password);
        using X509Certificate2 fromPem = X509Certificate2.CreateFromPemFile(Certs.Client.CertificatePemPath, Certs.Client.PrivateKeyPemPath);
        using X509Certificate2 fromEncryptedPem = X509Certificate2.CreateFromEncryptedPemFile(
            Certs.Client.CertificatePemPath, Certs.Client.Password, Certs.Client.EncryptedPrivateKeyPemPath);
        foreach (X509Certificate2 clientCertificate in new[] { fromPkcs12, fromPem, fromEncryptedPem })
        {
            var tls12 = new TlsClient(SslProtocols.Tls12, Certs.Ca, clientCertificate);
            await using RawSession session = await RawSession.ConnectTlsAsync(server.SecurePort, tls12.Options, 6000, ct);
            Assert.Equal(SslProtocols.Tls12, session.Tls!.SslProtocol);
            Assert.NotNull(session.Tls.LocalCertificate);
            Assert.NotEqual(0, session.SessionId);
        }

        // Without a client certificate: TLS 1.2 fails in the handshake. TLS 1.3 clients finish their side of the
        // handshake before the server checks their (empty) certificate, so the failure may show on the first read.
        await AssertHandshakeFailsAsync(server.SecurePort, new TlsClient(SslProtocols.Tls12, Certs.Ca).Options, ct);
        Exception e = await Assert.ThrowsAnyAsync<Exception>(
            () => RawSession.ConnectTlsAsync(server.SecurePort, new TlsClient(SslProtocols.Tls13, Certs.Ca).Options, 6000, ct));
        output.WriteLine($"TLS 1.3 without a client certificate: {e.GetType().Name}: {e.Message}");
        Assert.True(e is AuthenticationException or IOException, e.ToString());

        // Still serving; the harness's TLS four-letter word needs the client certificate too.
        await using (RawSession session = await RawSession.ConnectTlsAsync(server.SecurePort, tls13.Options, 6000, ct))
        {
            Assert.NotEqual(0, session.SessionId);
            Assert.Contains(session.SessionId, await server.GetConnectedSessionIdsAsync(tls13.Options, ct));
        }
    }

    internal static async Task AssertHandshakeFailsAsync(int port, SslClientAuthenticationOptions options, CancellationToken ct)
    {
        Exception e = await Assert.ThrowsAnyAsync<Exception>(async () => await (await RawSession.HandshakeAsync(port, options, ct)).DisposeAsync());
        Assert.True(e is AuthenticationException or IOException, e.ToString());
    }
}
