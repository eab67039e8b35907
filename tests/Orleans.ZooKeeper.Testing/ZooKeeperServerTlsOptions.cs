using System.Globalization;

namespace Orleans.ZooKeeper.Testing;

/// <summary>Whether a TLS server asks its clients for a certificate (ZooKeeper's <c>ssl.clientAuth</c>).</summary>
public enum ZooKeeperTlsClientAuth
{
    /// <summary><c>none</c>: no client certificate is requested.</summary>
    None,

    /// <summary><c>want</c>: a client certificate is requested; the handshake also succeeds without one.</summary>
    Want,

    /// <summary><c>need</c>: the handshake fails without a client certificate that chains to the trust store.</summary>
    Need,
}

/// <summary>The TLS versions a server accepts (ZooKeeper's <c>ssl.enabledProtocols</c>).</summary>
[Flags]
public enum ZooKeeperTlsProtocols
{
    /// <summary><c>TLSv1.2</c>.</summary>
    Tls12 = 1,

    /// <summary><c>TLSv1.3</c> (needs TLS 1.3 cipher suites, which <see cref="ZooKeeperServerTlsOptions.CipherSuites"/> adds by default).</summary>
    Tls13 = 2,

    /// <summary>Both <c>TLSv1.2</c> and <c>TLSv1.3</c>.</summary>
    Tls12And13 = Tls12 | Tls13,
}

/// <summary>
/// TLS on the client port of a test server (<see cref="ZooKeeperServerOptions.Tls"/>): the server then runs
/// Netty (<c>serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory</c>) and listens on a second,
/// TLS-only port on 127.0.0.1 (<see cref="ZooKeeperServerProcess.SecurePort"/>) besides the plain client port, which
/// stays (the harness's readiness checks use it). Quorum traffic of ensembles stays plain.
/// </summary>
/// <remarks>
/// Both stores are ZooKeeper <c>PEM</c> stores: <see cref="TestCertificates"/> writes them
/// (<see cref="TestLeafCertificate.KeyStorePemPath"/>, <see cref="TestCertificateAuthority.CertificatePemPath"/>;
/// <see cref="TestCertificates.CreateServerTlsOptions"/> fills this record from them).
/// </remarks>
public sealed record ZooKeeperServerTlsOptions
{
    /// <summary>ZooKeeper 3.8's default TLS 1.2 suites (its list for Java 9+: GCM first, then CBC).</summary>
    public static readonly IReadOnlyList<string> Tls12CipherSuites =
    [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    ];

    /// <summary>The TLS 1.3 suites added when <see cref="Protocols"/> includes TLS 1.3 (ZooKeeper 3.8's default list has none).</summary>
    public static readonly IReadOnlyList<string> Tls13CipherSuites =
    [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
    ];

    /// <summary>
    /// <c>ssl.keyStore.location</c> (type <c>PEM</c>): the server's private key (PKCS#8, unencrypted unless
    /// <see cref="KeyStorePassword"/> is set) followed by its certificate chain.
    /// </summary>
    public required string KeyStorePath { get; init; }

    /// <summary>
    /// <c>ssl.keyStore.password</c>: the password of an encrypted PKCS#8 key in <see cref="KeyStorePath"/>
    /// (e.g. <see cref="TestLeafCertificate.EncryptedKeyStorePemPath"/>); null for an unencrypted key. ZooKeeper 3.8
    /// cannot decrypt PBES2 (AES) keys, .NET's usual export: it loads the key store per connection, so the server
    /// starts and then fails every TLS handshake ("PBES2 SecretKeyFactory not available" in its log).
    /// </summary>
    public string? KeyStorePassword { get; init; }

    /// <summary><c>ssl.trustStore.location</c> (type <c>PEM</c>): the CA certificates that client certificates must chain to.</summary>
    public required string TrustStorePath { get; init; }

    /// <summary><c>ssl.clientAuth</c> (default <see cref="ZooKeeperTlsClientAuth.None"/>).</summary>
    public ZooKeeperTlsClientAuth ClientAuth { get; init; } = ZooKeeperTlsClientAuth.None;

    /// <summary><c>ssl.enabledProtocols</c> (default TLS 1.2 only, ZooKeeper 3.8's default).</summary>
    public ZooKeeperTlsProtocols Protocols { get; init; } = ZooKeeperTlsProtocols.Tls12;

    /// <summary>
    /// <c>ssl.ciphersuites</c> (JSSE names); null (the default) for <see cref="Tls13CipherSuites"/> when
    /// <see cref="Protocols"/> includes TLS 1.3, followed by <see cref="Tls12CipherSuites"/> when it includes TLS 1.2.
    /// </summary>
    public IReadOnlyList<string>? CipherSuites { get; init; }

    /// <summary>
    /// The secure client port of a standalone server; null (the default) picks one with <see cref="FreePort"/>.
    /// Ignored by ensembles, whose ports are always picked with <see cref="FreePort"/>.
    /// </summary>
    public int? SecureClientPort { get; init; }

    /// <summary>The <c>ssl.enabledProtocols</c> value, e.g. <c>TLSv1.2,TLSv1.3</c>.</summary>
    public string EnabledProtocolsValue => GetProtocolNames(Protocols);

    /// <summary>The cipher suites the server is configured with: <see cref="CipherSuites"/> or the default for <see cref="Protocols"/>.</summary>
    public IReadOnlyList<string> EffectiveCipherSuites => CipherSuites ?? GetDefaultCipherSuites(Protocols);

    /// <summary>JSSE protocol names, comma-separated: <c>TLSv1.2</c>, <c>TLSv1.3</c> or <c>TLSv1.2,TLSv1.3</c>.</summary>
    /// <param name="protocols">The TLS versions.</param>
    public static string GetProtocolNames(ZooKeeperTlsProtocols protocols)
    {
        var names = new List<string>(2);
        if (protocols.HasFlag(ZooKeeperTlsProtocols.Tls12))
        {
            names.Add("TLSv1.2");
        }

        if (protocols.HasFlag(ZooKeeperTlsProtocols.Tls13))
        {
            names.Add("TLSv1.3");
        }

        return string.Join(',', names);
    }

    /// <summary>
    /// The harness's default cipher suites for <paramref name="protocols"/>: <see cref="Tls13CipherSuites"/> for TLS 1.3,
    /// then <see cref="Tls12CipherSuites"/> for TLS 1.2. A Java client needs the same list as <c>zookeeper.ssl.ciphersuites</c>
    /// (its default, like the server's, has no TLS 1.3 suite).
    /// </summary>
    /// <param name="protocols">The TLS versions.</param>
    public static IReadOnlyList<string> GetDefaultCipherSuites(ZooKeeperTlsProtocols protocols)
    {
        var suites = new List<string>();
        if (protocols.HasFlag(ZooKeeperTlsProtocols.Tls13))
        {
            suites.AddRange(Tls13CipherSuites);
        }

        if (protocols.HasFlag(ZooKeeperTlsProtocols.Tls12))
        {
            suites.AddRange(Tls12CipherSuites);
        }

        return suites;
    }

    /// <summary>Checks the settings and that both store files exist.</summary>
    internal void Validate()
    {
        if (Protocols == 0 || (Protocols & ~ZooKeeperTlsProtocols.Tls12And13) != 0)
        {
            throw new ArgumentException($"Protocols must be TLS 1.2, TLS 1.3 or both, not {Protocols}.", nameof(Protocols));
        }

        if (!Enum.IsDefined(ClientAuth))
        {
            throw new ArgumentException($"Unknown client auth mode {ClientAuth}.", nameof(ClientAuth));
        }

        if (EffectiveCipherSuites.Count == 0)
        {
            throw new ArgumentException("At least one cipher suite is needed.", nameof(CipherSuites));
        }

        foreach (string path in new[] { KeyStorePath, TrustStorePath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"TLS store file '{path}' not found.", path);
            }
        }
    }

    /// <summary>The <c>zoo.cfg</c> lines for TLS on <paramref name="securePort"/>.</summary>
    internal IEnumerable<string> GetConfigLines(int securePort)
    {
        yield return "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory";
        yield return "secureClientPort=" + securePort.ToString(CultureInfo.InvariantCulture);
        yield return "secureClientPortAddress=127.0.0.1";

        // zoo.cfg keys the config parser does not know become system properties with a "zookeeper." prefix,
        // where ZooKeeper's ClientX509Util (prefix "zookeeper.ssl.") reads them.
        yield return "ssl.keyStore.location=" + Path.GetFullPath(KeyStorePath);
        yield return "ssl.keyStore.type=PEM";
        if (KeyStorePassword is not null)
        {
            yield return "ssl.keyStore.password=" + KeyStorePassword;
        }

        yield return "ssl.trustStore.location=" + Path.GetFullPath(TrustStorePath);
        yield return "ssl.trustStore.type=PEM";
        yield return "ssl.clientAuth=" + ClientAuth switch
        {
            ZooKeeperTlsClientAuth.Want => "want",
            ZooKeeperTlsClientAuth.Need => "need",
            _ => "none",
        };

        // The SSLContext protocol; the enabled protocols decide what the handshake may use.
        yield return "ssl.protocol=" + (Protocols.HasFlag(ZooKeeperTlsProtocols.Tls13) ? "TLSv1.3" : "TLSv1.2");
        yield return "ssl.enabledProtocols=" + EnabledProtocolsValue;
        yield return "ssl.ciphersuites=" + string.Join(',', EffectiveCipherSuites);
    }
}
