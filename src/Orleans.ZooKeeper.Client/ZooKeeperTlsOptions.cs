using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.ZooKeeper.Client;

/// <summary>
/// TLS settings of a <see cref="ZooKeeperClient"/> (set <see cref="ZooKeeperClientOptions.Tls"/> to use TLS; the
/// connect string then names the servers' secure client ports). The simple file settings cover most ensembles; the
/// properties below them give control at the level of <see cref="SslClientAuthenticationOptions"/>.
/// </summary>
/// <remarks>
/// Certificates and keys are loaded when the client is created, so a missing or unreadable file fails at once with
/// an exception naming the setting and the file. Passwords are never logged or put into exception messages.
/// </remarks>
public sealed class ZooKeeperTlsOptions
{
    /// <summary>
    /// File with the certificate authorities to trust: PEM (one or more certificates), DER, or PKCS#12. When set (or
    /// <see cref="TrustedCertificates"/>), only these roots are trusted, not the system store.
    /// </summary>
    public string? CaCertificatesFile { get; set; }

    /// <summary>Certificate authorities to trust, in memory (added to those of <see cref="CaCertificatesFile"/>).</summary>
    public X509Certificate2Collection? TrustedCertificates { get; set; }

    /// <summary>
    /// The client certificate for mutual TLS: a PEM file (with the key in it or in <see cref="ClientKeyFile"/>) or a
    /// PKCS#12 file (<c>.p12</c>/<c>.pfx</c>, password in <see cref="ClientCertificatePassword"/>).
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="ClientCertificateFile"/> when it is not in the certificate file (PKCS#8, PKCS#1 or SEC1; encrypted PKCS#8 with <see cref="ClientCertificatePassword"/>).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Password of the PKCS#12 file or of the encrypted PEM key. Never logged.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>The client certificate (with its private key), in memory; wins over <see cref="ClientCertificateFile"/>.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>Check that the server certificate is issued for the host name (or IP address) in the connect string. Default true.</summary>
    public bool CheckHostName { get; set; } = true;

    /// <summary>The TLS versions to offer; <see cref="SslProtocols.None"/> (the default) lets the operating system choose (TLS 1.2 and 1.3).</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>Revocation checking of the server certificate. Default <see cref="X509RevocationMode.NoCheck"/> (ensembles rarely publish CRLs).</summary>
    public X509RevocationMode CertificateRevocationCheckMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>
    /// Validates the server certificate instead of the built-in checks (CA trust and <see cref="CheckHostName"/>).
    /// The chain passed in was built with the configured CA certificates as the only roots when those are set.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>
    /// Last word on each connection's <see cref="SslClientAuthenticationOptions"/> (called per connection attempt with
    /// the server being connected to, after this object's settings were applied).
    /// </summary>
    public Action<ServerAddress, SslClientAuthenticationOptions>? ConfigureAuthentication { get; set; }

    /// <summary>A copy (the in-memory certificates and callbacks are shared, not cloned).</summary>
    internal ZooKeeperTlsOptions Clone() => (ZooKeeperTlsOptions)MemberwiseClone();
}
