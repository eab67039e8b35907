using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// The names target resolution reads — the scheme, the section, its keys, the environment variable, the defaults —
/// and the one rule on paths (nothing under <c>/zookeeper</c>). The resolver and the section and URL readers all take
/// them from here; <see cref="ZooKeeperTargetResolver"/> publishes them.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>The environment variable with the fallback server list (<c>zookeeper-1:2181,zookeeper-2:2181</c>).</summary>
    public const string ServersEnvironmentVariable = "ASAB_ZOOKEEPER_SERVERS";

    /// <summary>The configuration section read when a container names none.</summary>
    public const string DefaultSectionName = "zookeeper";

    /// <summary>The path used when neither the URL nor the section gives one (and the base of relative URL paths then).</summary>
    public const string DefaultPath = "/orleans";

    /// <summary>The URL scheme, without the colon.</summary>
    public const string Scheme = "zookeeper";

    /// <summary>Section key: comma-separated <c>host[:port]</c> list.</summary>
    public const string ServersKey = "servers";

    /// <summary>Section key: the container's path.</summary>
    public const string PathKey = "path";

    /// <summary>Section key: the session timeout.</summary>
    public const string SessionTimeoutKey = "session_timeout";

    /// <summary>Section key: the session timeout as asab names it (kazoo's <c>timeout</c>), in asab's duration syntax (<c>10s</c>).</summary>
    public const string TimeoutKey = "timeout";

    /// <summary>Section key: the bound on one connection attempt (seconds or a TimeSpan, like <see cref="SessionTimeoutKey"/>).</summary>
    public const string ConnectTimeoutKey = "connect_timeout";

    /// <summary>Section key: the digest user name.</summary>
    public const string UsernameKey = "username";

    /// <summary>Section key: the digest password.</summary>
    public const string PasswordKey = "password";

    /// <summary>Section key: connect with TLS (<c>true</c>/<c>false</c>); the <c>tls_*</c> keys need it.</summary>
    public const string TlsKey = "tls";

    /// <summary>Section key: file with the CA certificates to trust (PEM, DER or PKCS#12); default: the system's roots.</summary>
    public const string TlsCaFileKey = "tls_ca_file";

    /// <summary>Section key: the client certificate for mutual TLS (PEM, key in it or in <see cref="TlsKeyFileKey"/>; or PKCS#12).</summary>
    public const string TlsCertFileKey = "tls_cert_file";

    /// <summary>Section key: the client certificate's PEM private key, when not in the certificate file.</summary>
    public const string TlsKeyFileKey = "tls_key_file";

    /// <summary>Section key: password of an encrypted PEM key or of a PKCS#12 certificate file. Never shown.</summary>
    public const string TlsKeyPasswordKey = "tls_key_password";

    /// <summary>Section key: check that the server certificate is issued for the host name (default true).</summary>
    public const string TlsCheckHostNameKey = "tls_check_hostname";

    /// <summary>Section key: the TLS versions to offer, comma-separated (<c>1.2</c>, <c>1.3</c>).</summary>
    public const string TlsProtocolsKey = "tls_protocols";

    /// <summary>Section key: the SASL user; setting it turns SASL on (with <see cref="SaslPasswordKey"/>).</summary>
    public const string SaslUsernameKey = "sasl_username";

    /// <summary>Section key: the SASL password. Never shown.</summary>
    public const string SaslPasswordKey = "sasl_password";

    /// <summary>Section key: the SASL mechanism, <c>DIGEST-MD5</c> (the default) or <c>GSSAPI</c> (Kerberos).</summary>
    public const string SaslMechanismKey = "sasl_mechanism";

    /// <summary>Section key: the server's SASL principal, <c>service/host</c> (default for DIGEST-MD5: <c>zookeeper/zk-sasl-md5</c>).</summary>
    public const string SaslServerPrincipalKey = "sasl_server_principal";

    /// <summary>The session timeout used when the section sets none.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Refuses a container path in ZooKeeper's own <c>/zookeeper</c> subtree (quotas, configuration), where clients
    /// cannot create nodes: found at startup rather than when the container first ensures its path.
    /// </summary>
    public static void CheckNotReserved(string path, string origin, string value)
    {
        if (path == "/zookeeper" || path.StartsWith("/zookeeper/", StringComparison.Ordinal))
        {
            throw Error($"The path '{Printable(value)}' from {origin} leads to '{Printable(path)}', in /zookeeper, which is reserved for ZooKeeper itself (quotas and configuration); choose another path.", origin, value);
        }
    }
}
