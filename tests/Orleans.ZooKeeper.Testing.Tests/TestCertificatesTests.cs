using System.Diagnostics;
using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Testing.Tests;

/// <summary>The generated certificates and files, checked in-process (no ZooKeeper server).</summary>
public class TestCertificatesTests(ITestOutputHelper output)
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string Pkcs12PbeTripleDesSha1 = "1.2.840.113549.1.12.1.3";

    private static TestCertificates Certs => TestCertificates.Shared;

    [Fact]
    public void SharedSetIsGeneratedOnceUnderTheHarnessDirectory()
    {
        var clock = Stopwatch.StartNew();
        TestCertificates certs = TestCertificates.Shared;
        output.WriteLine($"Shared ready after {clock.ElapsedMilliseconds} ms (0 if another test generated it first): {certs.Directory}");
        Assert.Same(certs, TestCertificates.Shared);
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "orleans-zk-tests") + "/", certs.Directory);
        Assert.Equal(TestCertificates.DefaultPassword, certs.Password);
        Assert.True(File.Exists(Path.Combine(certs.Directory, ".owner")));
    }

    [Fact]
    public void CasAreSelfSignedRsa2048AuthoritiesAndUnrelated()
    {
        foreach (TestCertificateAuthority ca in new[] { Certs.Ca, Certs.WrongCa })
        {
            X509Certificate2 c = ca.Certificate;
            Assert.Equal(c.Subject, c.Issuer);
            Assert.True(c.HasPrivateKey);
            Assert.Equal(2048, c.GetRSAPublicKey()!.KeySize);
            X509BasicConstraintsExtension constraints = Extension<X509BasicConstraintsExtension>(c);
            Assert.True(constraints.CertificateAuthority);
            Assert.True(constraints.Critical);
            Assert.True(Extension<X509KeyUsageExtension>(c).KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
            AssertValidNow(c);
            Assert.Equal(c.Thumbprint, X509Certificate2.CreateFromPem(File.ReadAllText(ca.CertificatePemPath)).Thumbprint);
        }

        Assert.NotEqual(Certs.Ca.Certificate.Subject, Certs.WrongCa.Certificate.Subject);
        Assert.NotEqual(Certs.Ca.Certificate.PublicKey.EncodedKeyValue.RawData, Certs.WrongCa.Certificate.PublicKey.EncodedKeyValue.RawData);
    }

    [Fact]
    public void ServerAndClientCertificatesChainToTheCaOnly()
    {
        X509Certificate2 server = Certs.Server.Certificate;
        Assert.Equal(TestCertificates.ServerSubject, server.Subject);
        Assert.Equal(Certs.Ca.Certificate.Subject, server.Issuer);
        Assert.True(server.HasPrivateKey);
        Assert.Equal(2048, server.GetRSAPublicKey()!.KeySize);
        Assert.Equal([IPAddress.Loopback], Extension<X509SubjectAlternativeNameExtension>(server).EnumerateIPAddresses());
        Assert.Equal(["localhost"], Extension<X509SubjectAlternativeNameExtension>(server).EnumerateDnsNames());
        Assert.True(server.MatchesHostname("127.0.0.1"));
        Assert.True(server.MatchesHostname("localhost"));
        Assert.Equal([ServerAuth], Eku(server));
        Assert.False(Extension<X509BasicConstraintsExtension>(server).CertificateAuthority);
        AssertValidNow(server);
        Assert.Equal(X509ChainStatusFlags.NoError, BuildChain(server, Certs.Ca));
        Assert.NotEqual(X509ChainStatusFlags.NoError, BuildChain(server, Certs.WrongCa));

        X509Certificate2 client = Certs.Client.Certificate;
        Assert.Equal(TestCertificates.ClientSubject, client.Subject);
        Assert.Equal(Certs.Ca.Certificate.Subject, client.Issuer);
        Assert.True(client.HasPrivateKey);
        Assert.Equal([ClientAuth], Eku(client));
        Assert.Null(client.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault());
        AssertValidNow(client);
        Assert.Equal(X509ChainStatusFlags.NoError, BuildChain(client, Certs.Ca));
    }

    [Fact]
    public void ExpiredAndWrongHostCertificatesAreBrokenInExactlyOneWay()
    {
        X509Certificate2 expired = Certs.ExpiredServer.Certificate;
        Assert.Equal(TestCertificates.ServerSubject, expired.Subject);
        Assert.Equal(Certs.Ca.Certificate.Subject, expired.Issuer);
        Assert.True(expired.NotAfter < DateTime.Now, $"NotAfter {expired.NotAfter:O}");
        Assert.True(expired.NotBefore < expired.NotAfter);
        Assert.True(expired.MatchesHostname("127.0.0.1"));
        Assert.True(expired.MatchesHostname("localhost"));
        Assert.Equal([ServerAuth], Eku(expired));
        Assert.Equal(X509ChainStatusFlags.NotTimeValid, BuildChain(expired, Certs.Ca));

        X509Certificate2 wrongHost = Certs.WrongHostServer.Certificate;
        Assert.Equal("CN=" + TestCertificates.WrongHostName, wrongHost.Subject);
        Assert.Equal(Certs.Ca.Certificate.Subject, wrongHost.Issuer);
        var names = Extension<X509SubjectAlternativeNameExtension>(wrongHost);
        Assert.Equal([TestCertificates.WrongHostName], names.EnumerateDnsNames());
        Assert.Empty(names.EnumerateIPAddresses());
        Assert.False(wrongHost.MatchesHostname("127.0.0.1"));
        Assert.False(wrongHost.MatchesHostname("localhost"));
        Assert.Equal([ServerAuth], Eku(wrongHost));
        AssertValidNow(wrongHost);
        Assert.Equal(X509ChainStatusFlags.NoError, BuildChain(wrongHost, Certs.Ca));
    }

    [Fact]
    public void EveryLeafHasItsFilesInTheDescribedFormats()
    {
        foreach (TestLeafCertificate leaf in new[] { Certs.Server, Certs.Client, Certs.ExpiredServer, Certs.WrongHostServer })
        {
            string thumbprint = leaf.Certificate.Thumbprint;
            Assert.Equal(Certs.Password, leaf.Password);

            string certificatePem = File.ReadAllText(leaf.CertificatePemPath);
            Assert.Equal(1, Count(certificatePem, "-----BEGIN CERTIFICATE-----"));
            Assert.Equal(thumbprint, X509Certificate2.CreateFromPem(certificatePem).Thumbprint);

            string keyPem = File.ReadAllText(leaf.PrivateKeyPemPath);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", keyPem);
            using (var key = RSA.Create())
            {
                key.ImportFromPem(keyPem);
                AssertSameKey(leaf.Certificate, key);
            }

            string encryptedPem = File.ReadAllText(leaf.EncryptedPrivateKeyPemPath);
            Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", encryptedPem);
            Assert.Equal(Pkcs12PbeTripleDesSha1, EncryptionAlgorithmOid(encryptedPem));
            using (var key = RSA.Create())
            {
                Assert.ThrowsAny<CryptographicException>(() => key.ImportFromEncryptedPem(encryptedPem, "wrong password"));
                key.ImportFromEncryptedPem(encryptedPem, leaf.Password);
                AssertSameKey(leaf.Certificate, key);
            }

            // ZooKeeper's PEM key store: the key first, then the certificate chain (leaf, CA).
            foreach ((string path, string keyHeader) in new[]
            {
                (leaf.KeyStorePemPath, "-----BEGIN PRIVATE KEY-----"),
                (leaf.EncryptedKeyStorePemPath, "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            })
            {
                string store = File.ReadAllText(path);
                Assert.StartsWith(keyHeader, store);
                Assert.Equal(2, Count(store, "-----BEGIN CERTIFICATE-----"));
                var chain = new X509Certificate2Collection();
                chain.ImportFromPem(store);
                Assert.Equal([thumbprint, Certs.Ca.Certificate.Thumbprint], chain.Select(c => c.Thumbprint));
            }

            using X509Certificate2 fromPem = X509Certificate2.CreateFromPemFile(leaf.CertificatePemPath, leaf.PrivateKeyPemPath);
            Assert.True(fromPem.HasPrivateKey);
            using X509Certificate2 fromEncryptedPem = X509Certificate2.CreateFromEncryptedPemFile(leaf.CertificatePemPath, leaf.Password, leaf.EncryptedPrivateKeyPemPath);
            Assert.True(fromEncryptedPem.HasPrivateKey);

            using X509Certificate2 fromPkcs12 = X509CertificateLoader.LoadPkcs12FromFile(leaf.Pkcs12Path, leaf.Password);
            Assert.Equal(thumbprint, fromPkcs12.Thumbprint);
            Assert.True(fromPkcs12.HasPrivateKey);
            AssertSameKey(leaf.Certificate, fromPkcs12.GetRSAPrivateKey()!);
            X509Certificate2Collection pkcs12Contents = X509CertificateLoader.LoadPkcs12CollectionFromFile(leaf.Pkcs12Path, leaf.Password);
            Assert.Equal(2, pkcs12Contents.Count);
            Assert.Contains(pkcs12Contents, c => c.Thumbprint == Certs.Ca.Certificate.Thumbprint && !c.HasPrivateKey);
            Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(leaf.Pkcs12Path, "wrong password"));
        }
    }

    [Fact]
    public async Task ValidatingClientsRejectTheExpiredAndWrongHostCertificates()
    {
        CancellationToken ct = TestUtil.Timeout(60);

        var good = await HandshakeWithInProcessServerAsync(Certs.Server, new TlsClient(SslProtocols.Tls13, Certs.Ca), ct);
        Assert.True(good.Succeeded);
        Assert.Equal(SslPolicyErrors.None, good.Client.LastErrors);

        var expired = await HandshakeWithInProcessServerAsync(Certs.ExpiredServer, new TlsClient(SslProtocols.Tls12, Certs.Ca), ct);
        Assert.False(expired.Succeeded);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, expired.Client.LastErrors);
        Assert.Equal(X509ChainStatusFlags.NotTimeValid, expired.Client.LastChainStatus);

        var wrongHost = await HandshakeWithInProcessServerAsync(Certs.WrongHostServer, new TlsClient(SslProtocols.Tls12, Certs.Ca), ct);
        Assert.False(wrongHost.Succeeded);
        Assert.Equal(SslPolicyErrors.RemoteCertificateNameMismatch, wrongHost.Client.LastErrors);

        var wrongCa = await HandshakeWithInProcessServerAsync(Certs.Server, new TlsClient(SslProtocols.Tls12, Certs.WrongCa), ct);
        Assert.False(wrongCa.Succeeded);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, wrongCa.Client.LastErrors);
    }

    [Fact]
    public void CreateWritesAFreshSetIntoTheGivenDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "orleans-zk-certs-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var clock = Stopwatch.StartNew();
            using TestCertificates certs = TestCertificates.Create(dir, "another-password");
            output.WriteLine($"generated in {clock.ElapsedMilliseconds} ms");
            Assert.Equal(dir, certs.Directory);
            Assert.Equal("another-password", certs.Password);
            Assert.NotEqual(Certs.Ca.Certificate.Thumbprint, certs.Ca.Certificate.Thumbprint);
            Assert.Equal(
                ["ca-cert.pem", "client-cert.pem", "client-key-encrypted.pem", "client-key.pem", "client-keystore-encrypted.pem", "client-keystore.pem", "client.p12"],
                Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => f!.StartsWith("c", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.Equal(2 + (4 * 6), Directory.GetFiles(dir).Length);
            using X509Certificate2 client = X509CertificateLoader.LoadPkcs12FromFile(certs.Client.Pkcs12Path, "another-password");
            Assert.True(client.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(bool Succeeded, TlsClient Client)> HandshakeWithInProcessServerAsync(TestLeafCertificate serverCertificate, TlsClient client, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task serverSide = Task.Run(
            async () =>
            {
                using Socket accepted = await listener.AcceptSocketAsync(ct);
                await using var tls = new SslStream(new NetworkStream(accepted, ownsSocket: false));
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = serverCertificate.Certificate }, ct);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    // The client rejected the certificate.
                }
            },
            ct);
        bool succeeded;
        try
        {
            await (await RawSession.HandshakeAsync(port, client.Options, ct)).DisposeAsync();
            succeeded = true;
        }
        catch (AuthenticationException)
        {
            succeeded = false;
        }

        await serverSide;
        return (succeeded, client);
    }

    private static T Extension<T>(X509Certificate2 certificate)
        where T : X509Extension => Assert.Single(certificate.Extensions.OfType<T>());

    private static string[] Eku(X509Certificate2 certificate) =>
        Extension<X509EnhancedKeyUsageExtension>(certificate).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value ?? "").ToArray();

    private static void AssertValidNow(X509Certificate2 certificate) =>
        Assert.InRange(DateTime.Now, certificate.NotBefore, certificate.NotAfter);

    private static X509ChainStatusFlags BuildChain(X509Certificate2 certificate, TestCertificateAuthority trusted)
    {
        using var chain = new X509Chain { ChainPolicy = TestCertificates.CreateTrustPolicy(trusted) };
        bool ok = chain.Build(certificate);
        X509ChainStatusFlags flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        Assert.Equal(ok, flags == X509ChainStatusFlags.NoError);
        return flags;
    }

    private static void AssertSameKey(X509Certificate2 certificate, RSA key) =>
        Assert.Equal(certificate.GetRSAPublicKey()!.ExportParameters(false).Modulus, key.ExportParameters(false).Modulus);

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>The encryption algorithm OID of an <c>ENCRYPTED PRIVATE KEY</c> PEM (EncryptedPrivateKeyInfo).</summary>
    private static string EncryptionAlgorithmOid(string pem)
    {
        PemFields fields = PemEncoding.Find(pem);
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        var info = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        return info.ReadSequence().ReadObjectIdentifier();
    }
}
