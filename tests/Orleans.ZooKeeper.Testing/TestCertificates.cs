using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A set of X.509 test certificates for TLS tests, generated in-process with
/// <see cref="System.Security.Cryptography"/> (no keytool/openssl) and written as PEM and PKCS#12 files:
/// a test CA, a server certificate (<c>CN=localhost</c>, SAN <c>IP:127.0.0.1</c> and <c>DNS:localhost</c>), a
/// client certificate (<c>CN=zk-test-client</c>), an unrelated "wrong" CA, an expired server certificate and a
/// server certificate for the wrong host name. All keys are RSA 2048; leaves are signed by <see cref="Ca"/>. The
/// expired and wrong-host certificates reuse the server's key pair (RSA key generation is most of the cost:
/// about 250 ms a key here, so four keys are made, in parallel).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Shared"/> generates one set per process (lazily) in a directory under
/// <c>{temp}/orleans-zk-tests/</c> that is deleted when the process exits (or by the next run's stale-directory
/// sweep if it dies). <see cref="Create"/> writes a set into a directory of the caller's choice.
/// </para>
/// <para>
/// File names in <see cref="Directory"/>: <c>{name}-cert.pem</c> (certificate), <c>{name}-key.pem</c>
/// (unencrypted PKCS#8, <c>BEGIN PRIVATE KEY</c>), <c>{name}-key-encrypted.pem</c> (PKCS#8
/// <c>BEGIN ENCRYPTED PRIVATE KEY</c>, password <see cref="Password"/>, encrypted with PKCS#12 PBE
/// 3-key-3DES / SHA-1: ZooKeeper 3.8's PEM reader cannot decrypt PBES2 (AES) keys, .NET reads both),
/// <c>{name}-keystore.pem</c> (unencrypted key followed by the certificate and the CA certificate: the format
/// ZooKeeper's <c>PEM</c> key store reads), <c>{name}-keystore-encrypted.pem</c> (the same with the encrypted key)
/// and <c>{name}.p12</c> (PKCS#12 with key, certificate and CA certificate, PBES2 AES-256 / SHA-256, password
/// <see cref="Password"/>). The CAs only get <c>{name}-cert.pem</c>.
/// Names: <c>ca</c>, <c>wrong-ca</c>, <c>server</c>, <c>client</c>, <c>expired-server</c>, <c>wrong-host-server</c>.
/// </para>
/// </remarks>
public sealed class TestCertificates : IDisposable
{
    /// <summary>The password of the encrypted key PEM files and the PKCS#12 files of <see cref="Shared"/>.</summary>
    public const string DefaultPassword = "zk-test-password";

    /// <summary>The subject of <see cref="Server"/> and <see cref="ExpiredServer"/>.</summary>
    public const string ServerSubject = "CN=localhost";

    /// <summary>The subject of <see cref="Client"/>.</summary>
    public const string ClientSubject = "CN=zk-test-client";

    /// <summary>The only SAN (a DNS name) of <see cref="WrongHostServer"/>; also its common name.</summary>
    public const string WrongHostName = "wrong.example.invalid";

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const int KeyBits = 2048;

    private static readonly Lazy<TestCertificates> SharedInstance =
        new(() => Create(TestDirectories.CreateInstanceDirectory(), DefaultPassword), LazyThreadSafetyMode.ExecutionAndPublication);

    private TestCertificates(
        string directory,
        string password,
        TestCertificateAuthority ca,
        TestCertificateAuthority wrongCa,
        TestLeafCertificate server,
        TestLeafCertificate client,
        TestLeafCertificate expiredServer,
        TestLeafCertificate wrongHostServer)
    {
        Directory = directory;
        Password = password;
        Ca = ca;
        WrongCa = wrongCa;
        Server = server;
        Client = client;
        ExpiredServer = expiredServer;
        WrongHostServer = wrongHostServer;
    }

    /// <summary>
    /// One set per process, generated on first use (about 0.5-1 s on a 2-core machine) with <see cref="DefaultPassword"/> into a
    /// directory under <c>{temp}/orleans-zk-tests/</c> that is removed when the process exits. Do not dispose it.
    /// </summary>
    public static TestCertificates Shared => SharedInstance.Value;

    /// <summary>The directory holding the files.</summary>
    public string Directory { get; }

    /// <summary>The password of every <c>*-key-encrypted.pem</c> and <c>*.p12</c> file.</summary>
    public string Password { get; }

    /// <summary>The test CA (<c>CN=Orleans.ZooKeeper Test CA</c>, self-signed, basicConstraints CA) that signs every leaf.</summary>
    public TestCertificateAuthority Ca { get; }

    /// <summary>An unrelated self-signed CA (<c>CN=Orleans.ZooKeeper Wrong CA</c>) that signed nothing here.</summary>
    public TestCertificateAuthority WrongCa { get; }

    /// <summary>
    /// The server certificate: <c>CN=localhost</c>, SAN <c>IP:127.0.0.1</c> and <c>DNS:localhost</c>, EKU serverAuth,
    /// valid from a day ago for ten years.
    /// </summary>
    public TestLeafCertificate Server { get; }

    /// <summary>The client certificate: <c>CN=zk-test-client</c>, EKU clientAuth, no SAN.</summary>
    public TestLeafCertificate Client { get; }

    /// <summary>
    /// As <see cref="Server"/> (same subject, SAN, EKU and key pair, signed by <see cref="Ca"/>) but expired:
    /// valid from 30 days ago until 1 day ago.
    /// </summary>
    public TestLeafCertificate ExpiredServer { get; }

    /// <summary>
    /// A valid server certificate signed by <see cref="Ca"/> whose only SAN is <c>DNS:wrong.example.invalid</c>
    /// (also its CN), so neither 127.0.0.1 nor localhost matches it. Same key pair as <see cref="Server"/>.
    /// </summary>
    public TestLeafCertificate WrongHostServer { get; }

    /// <summary>Generates a complete set and writes its files into <paramref name="directory"/> (created if missing).</summary>
    /// <param name="directory">Where to write the files; the caller owns (and deletes) it.</param>
    /// <param name="password">Password of the encrypted key PEM and PKCS#12 files.</param>
    public static TestCertificates Create(string directory, string password = DefaultPassword)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(password);
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);

        // Key generation dominates the cost: make the four keys on all cores at once.
        RSA[] keys = new RSA[4];
        Parallel.For(0, keys.Length, i => keys[i] = RSA.Create(KeyBits));
        try
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            TestCertificateAuthority ca = CreateAuthority(directory, "ca", "CN=Orleans.ZooKeeper Test CA", keys[0], now);
            TestCertificateAuthority wrongCa = CreateAuthority(directory, "wrong-ca", "CN=Orleans.ZooKeeper Wrong CA", keys[1], now);

            var serverNames = new SubjectAlternativeNameBuilder();
            serverNames.AddIpAddress(IPAddress.Loopback);
            serverNames.AddDnsName("localhost");
            var wrongNames = new SubjectAlternativeNameBuilder();
            wrongNames.AddDnsName(WrongHostName);

            TestLeafCertificate server = CreateLeaf(
                directory, password, "server", ServerSubject, serverNames, ServerAuthOid, ca, keys[2], now.AddDays(-1), now.AddYears(10));
            TestLeafCertificate client = CreateLeaf(
                directory, password, "client", ClientSubject, null, ClientAuthOid, ca, keys[3], now.AddDays(-1), now.AddYears(10));
            TestLeafCertificate expired = CreateLeaf(
                directory, password, "expired-server", ServerSubject, serverNames, ServerAuthOid, ca, keys[2], now.AddDays(-30), now.AddDays(-1));
            TestLeafCertificate wrongHost = CreateLeaf(
                directory, password, "wrong-host-server", "CN=" + WrongHostName, wrongNames, ServerAuthOid, ca, keys[2], now.AddDays(-1), now.AddYears(10));
            return new TestCertificates(directory, password, ca, wrongCa, server, client, expired, wrongHost);
        }
        finally
        {
            foreach (RSA? key in keys)
            {
                key?.Dispose();
            }
        }
    }

    /// <summary>
    /// A chain policy for .NET clients that trusts exactly <see cref="Ca"/> (custom root trust, no revocation
    /// check): e.g. <c>SslClientAuthenticationOptions.CertificateChainPolicy</c>. A new object on every call.
    /// </summary>
    public X509ChainPolicy CreateTrustPolicy() => CreateTrustPolicy(Ca);

    /// <summary>A chain policy that trusts exactly <paramref name="authority"/> (custom root trust, no revocation check).</summary>
    /// <param name="authority">The only trusted root, e.g. <see cref="Ca"/> or <see cref="WrongCa"/>.</param>
    public static X509ChainPolicy CreateTrustPolicy(TestCertificateAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(authority.Certificate);
        return policy;
    }

    /// <summary>
    /// TLS settings for a test server that presents <paramref name="serverCertificate"/> (default <see cref="Server"/>)
    /// and trusts <see cref="Ca"/> for client certificates.
    /// </summary>
    /// <param name="clientAuth">Whether the server asks for / requires a client certificate.</param>
    /// <param name="protocols">The TLS versions the server accepts.</param>
    /// <param name="serverCertificate">The certificate the server presents (e.g. <see cref="ExpiredServer"/>); null for <see cref="Server"/>.</param>
    public ZooKeeperServerTlsOptions CreateServerTlsOptions(
        ZooKeeperTlsClientAuth clientAuth = ZooKeeperTlsClientAuth.None,
        ZooKeeperTlsProtocols protocols = ZooKeeperTlsProtocols.Tls12,
        TestLeafCertificate? serverCertificate = null) =>
        new()
        {
            KeyStorePath = (serverCertificate ?? Server).KeyStorePemPath,
            TrustStorePath = Ca.CertificatePemPath,
            ClientAuth = clientAuth,
            Protocols = protocols,
        };

    /// <summary>
    /// Releases the certificate objects' private keys (not the files) of a set made with <see cref="Create"/>; does
    /// nothing for <see cref="Shared"/>, which other tests of the process keep using.
    /// </summary>
    public void Dispose()
    {
        if (SharedInstance.IsValueCreated && ReferenceEquals(this, SharedInstance.Value))
        {
            return;
        }

        Ca.Certificate.Dispose();
        WrongCa.Certificate.Dispose();
        Server.Certificate.Dispose();
        Client.Certificate.Dispose();
        ExpiredServer.Certificate.Dispose();
        WrongHostServer.Certificate.Dispose();
    }

    private static TestCertificateAuthority CreateAuthority(string directory, string name, string subject, RSA key, DateTimeOffset now)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        // Starts well before every leaf: a leaf may not start before its issuer.
        X509Certificate2 certificate = request.CreateSelfSigned(now.AddYears(-1), now.AddYears(20));
        string certificatePath = Path.Combine(directory, name + "-cert.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        return new TestCertificateAuthority(name, certificate, certificatePath);
    }

    private static TestLeafCertificate CreateLeaf(
        string directory,
        string password,
        string name,
        string subject,
        SubjectAlternativeNameBuilder? alternativeNames,
        string extendedKeyUsageOid,
        TestCertificateAuthority issuer,
        RSA key,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames.Build(critical: false));
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        using X509Certificate2 publicOnly = request.Create(issuer.Certificate, notBefore, notAfter, serial);
        X509Certificate2 certificate = publicOnly.CopyWithPrivateKey(key);

        string certificatePem = certificate.ExportCertificatePem() + "\n";
        string caPem = issuer.Certificate.ExportCertificatePem() + "\n";
        string keyPem = key.ExportPkcs8PrivateKeyPem() + "\n";
        // Not PBES2: ZooKeeper's PemReader (3.8) asks for a SecretKeyFactory named after the scheme, and "PBES2" has none.
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.TripleDes3KeyPkcs12, HashAlgorithmName.SHA1, 2048);
        string encryptedKeyPem = key.ExportEncryptedPkcs8PrivateKeyPem(password, pbe) + "\n";

        var leaf = new TestLeafCertificate(
            name,
            certificate,
            Path.Combine(directory, name + "-cert.pem"),
            Path.Combine(directory, name + "-key.pem"),
            Path.Combine(directory, name + "-key-encrypted.pem"),
            Path.Combine(directory, name + "-keystore.pem"),
            Path.Combine(directory, name + "-keystore-encrypted.pem"),
            Path.Combine(directory, name + ".p12"),
            password);
        File.WriteAllText(leaf.CertificatePemPath, certificatePem);
        File.WriteAllText(leaf.PrivateKeyPemPath, keyPem);
        File.WriteAllText(leaf.EncryptedPrivateKeyPemPath, encryptedKeyPem);
        File.WriteAllText(leaf.KeyStorePemPath, keyPem + certificatePem + caPem);
        File.WriteAllText(leaf.EncryptedKeyStorePemPath, encryptedKeyPem + certificatePem + caPem);

        using X509Certificate2 caPublicOnly = X509CertificateLoader.LoadCertificate(issuer.Certificate.RawData);
        var pkcs12Contents = new X509Certificate2Collection { certificate, caPublicOnly };
        File.WriteAllBytes(leaf.Pkcs12Path, pkcs12Contents.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password));
        return leaf;
    }
}

/// <summary>A CA of <see cref="TestCertificates"/>.</summary>
/// <param name="Name">File name stem, e.g. <c>ca</c>.</param>
/// <param name="Certificate">The CA certificate, with its private key.</param>
/// <param name="CertificatePemPath">The certificate as PEM (a trust store for ZooKeeper's <c>PEM</c> type).</param>
public sealed record TestCertificateAuthority(string Name, X509Certificate2 Certificate, string CertificatePemPath);

/// <summary>A leaf (server or client) certificate of <see cref="TestCertificates"/> and its files.</summary>
/// <param name="Name">File name stem, e.g. <c>server</c>.</param>
/// <param name="Certificate">The certificate, with its private key (usable as an <c>SslStream</c> certificate).</param>
/// <param name="CertificatePemPath">The certificate alone as PEM.</param>
/// <param name="PrivateKeyPemPath">The key as unencrypted PKCS#8 PEM (<c>BEGIN PRIVATE KEY</c>).</param>
/// <param name="EncryptedPrivateKeyPemPath">The key as encrypted PKCS#8 PEM (<c>BEGIN ENCRYPTED PRIVATE KEY</c>), password <paramref name="Password"/>.</param>
/// <param name="KeyStorePemPath">Unencrypted key, certificate and CA certificate in one PEM file (ZooKeeper's <c>PEM</c> key store).</param>
/// <param name="EncryptedKeyStorePemPath">As <paramref name="KeyStorePemPath"/> with the encrypted key (ZooKeeper: key store password <paramref name="Password"/>).</param>
/// <param name="Pkcs12Path">PKCS#12 file with key, certificate and CA certificate, password <paramref name="Password"/>.</param>
/// <param name="Password">The password of <paramref name="EncryptedPrivateKeyPemPath"/> and <paramref name="Pkcs12Path"/>.</param>
public sealed record TestLeafCertificate(
    string Name,
    X509Certificate2 Certificate,
    string CertificatePemPath,
    string PrivateKeyPemPath,
    string EncryptedPrivateKeyPemPath,
    string KeyStorePemPath,
    string EncryptedKeyStorePemPath,
    string Pkcs12Path,
    string Password);
