using System.Security.Authentication;
using System.Text;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// The resolved, immutable answer to "which ensemble, which path, which credentials" for one container, produced by
/// <see cref="ZooKeeperTargetResolver.Resolve"/>. Every part records where it came from. The digest password and the
/// TLS key password are kept private: they appear neither in <see cref="ToString"/> nor in any exception message.
/// </summary>
public sealed record ZooKeeperTarget
{
    private readonly string? _digestPassword;

    internal ZooKeeperTarget(
        IReadOnlyList<ServerAddress> servers,
        string serversSource,
        string path,
        string pathSource,
        TimeSpan sessionTimeout,
        string? digestUser,
        string? digestPassword,
        ZooKeeperTargetTls? tls = null,
        TimeSpan? connectTimeout = null,
        ZooKeeperTargetSasl? sasl = null)
    {
        Servers = servers.ToArray().AsReadOnly();
        ServersSource = serversSource;
        Path = path;
        PathSource = pathSource;
        SessionTimeout = sessionTimeout;
        ConnectTimeout = connectTimeout;
        DigestUser = digestUser;
        _digestPassword = digestPassword;
        Tls = tls;
        Sasl = sasl;
    }

    /// <summary>The ensemble's servers, in the order given (never empty).</summary>
    public IReadOnlyList<ServerAddress> Servers { get; }

    /// <summary>
    /// Where <see cref="Servers"/> came from: <c>URL '…'</c>, <c>configuration key 'zookeeper:servers'</c> or
    /// <c>environment variable ASAB_ZOOKEEPER_SERVERS</c>.
    /// </summary>
    public string ServersSource { get; }

    /// <summary>The container's absolute znode path (valid by <see cref="ZooKeeperPath.GetError"/>; <c>/</c> allowed).</summary>
    public string Path { get; }

    /// <summary>
    /// Where <see cref="Path"/> came from: the URL, the URL relative to the configuration key or the default path,
    /// the configuration key <c>…:path</c>, or the default path <see cref="ZooKeeperTargetResolver.DefaultPath"/>.
    /// </summary>
    public string PathSource { get; }

    /// <summary>The requested session timeout.</summary>
    public TimeSpan SessionTimeout { get; }

    /// <summary>
    /// The bound on one connection attempt (TCP connect, TLS and session handshake) from the section's
    /// <c>connect_timeout</c>, or null for the client's default (<see cref="ZooKeeperClientOptions.ConnectTimeout"/>:
    /// the session timeout ÷ servers, within 1-10 s). Independent of <see cref="SessionTimeout"/>, so a server that
    /// accepts connections and never answers holds up failover for at most this long.
    /// </summary>
    public TimeSpan? ConnectTimeout { get; }

    /// <summary>The digest user name, or null when no credentials are configured.</summary>
    public string? DigestUser { get; }

    /// <summary>The TLS settings, or null for plaintext connections.</summary>
    public ZooKeeperTargetTls? Tls { get; }

    /// <summary>The SASL settings, or null when the connection does not authenticate with SASL.</summary>
    public ZooKeeperTargetSasl? Sasl { get; }

    /// <summary>The digest password (null when <see cref="DigestUser"/> is null). Never printed.</summary>
    internal string? DigestPassword => _digestPassword;

    /// <summary>The servers joined with ',' (<c>h1:2181,h2:2181</c>, IPv6 in brackets), without a chroot.</summary>
    public string ConnectString => string.Join(',', Servers);

    /// <summary>
    /// New client options with <see cref="ConnectString"/>, <see cref="SessionTimeout"/>,
    /// <see cref="ConnectTimeout"/> and, when configured, the digest credentials, the TLS settings
    /// (<see cref="ZooKeeperClientOptions.Tls"/>) and the SASL settings (<see cref="ZooKeeperClientOptions.Sasl"/>);
    /// every other option keeps its default.
    /// </summary>
    public ZooKeeperClientOptions ToClientOptions()
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectString = ConnectString,
            SessionTimeout = SessionTimeout,
            ConnectTimeout = ConnectTimeout,
        };
        if (DigestUser is not null && _digestPassword is not null)
        {
            options.AddDigest(DigestUser, _digestPassword);
        }

        Tls?.ApplyTo(options);
        Sasl?.ApplyTo(options);
        return options;
    }

    /// <summary>
    /// <c>zookeeper://h1:2181,h2:2181/path</c>, followed by the digest user name when credentials are configured and
    /// the TLS and SASL settings when they are on. Never contains a password.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder("zookeeper://").Append(ConnectString).Append(Path);
        if (DigestUser is not null)
        {
            sb.Append(" (digest user '").Append(DigestUser).Append("')");
        }

        if (Tls is not null)
        {
            sb.Append(" (").Append(Tls).Append(')');
        }

        if (Sasl is not null)
        {
            sb.Append(" (").Append(Sasl).Append(')');
        }

        return sb.ToString();
    }

    /// <summary>Value equality: same servers in the same order, path, sources, timeouts, credentials and TLS settings.</summary>
    public bool Equals(ZooKeeperTarget? other)
        => other is not null
        && Servers.SequenceEqual(other.Servers)
        && string.Equals(ServersSource, other.ServersSource, StringComparison.Ordinal)
        && string.Equals(Path, other.Path, StringComparison.Ordinal)
        && string.Equals(PathSource, other.PathSource, StringComparison.Ordinal)
        && SessionTimeout == other.SessionTimeout
        && ConnectTimeout == other.ConnectTimeout
        && string.Equals(DigestUser, other.DigestUser, StringComparison.Ordinal)
        && string.Equals(_digestPassword, other._digestPassword, StringComparison.Ordinal)
        && Equals(Tls, other.Tls)
        && Equals(Sasl, other.Sasl);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var server in Servers)
        {
            hash.Add(server);
        }

        hash.Add(Path, StringComparer.Ordinal);
        hash.Add(SessionTimeout);
        hash.Add(ConnectTimeout);
        hash.Add(DigestUser, StringComparer.Ordinal);
        hash.Add(Tls);
        hash.Add(Sasl);
        return hash.ToHashCode();
    }
}

/// <summary>
/// The TLS part of a <see cref="ZooKeeperTarget"/> (section keys <c>tls</c> and <c>tls_*</c>, see
/// <see cref="ZooKeeperTargetResolver"/>). The files are only named here; the client reads them when it is created.
/// The key password is kept private: it appears neither in <see cref="ToString"/> nor in any exception message.
/// </summary>
public sealed record ZooKeeperTargetTls
{
    private readonly string? _keyPassword;

    internal ZooKeeperTargetTls(string? caFile, string? certificateFile, string? keyFile, string? keyPassword, bool checkHostName, SslProtocols protocols)
    {
        CaFile = caFile;
        CertificateFile = certificateFile;
        KeyFile = keyFile;
        _keyPassword = keyPassword;
        CheckHostName = checkHostName;
        Protocols = protocols;
    }

    /// <summary>The trusted CA certificates (<c>tls_ca_file</c>), or null for the system's trusted roots.</summary>
    public string? CaFile { get; }

    /// <summary>The client certificate for mutual TLS (<c>tls_cert_file</c>: PEM, or PKCS#12), or null.</summary>
    public string? CertificateFile { get; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/> when it is a separate file (<c>tls_key_file</c>), or null.</summary>
    public string? KeyFile { get; }

    /// <summary>True when <c>tls_key_password</c> is set (the password itself is never shown).</summary>
    public bool HasKeyPassword => _keyPassword is not null;

    /// <summary>Check the server certificate's host name (<c>tls_check_hostname</c>, default true).</summary>
    public bool CheckHostName { get; }

    /// <summary>The TLS versions to offer (<c>tls_protocols</c>); <see cref="SslProtocols.None"/>: the operating system's default.</summary>
    public SslProtocols Protocols { get; }

    /// <summary>The key password. Never printed.</summary>
    internal string? KeyPassword => _keyPassword;

    /// <summary>Sets <see cref="ZooKeeperClientOptions.Tls"/> from these settings.</summary>
    internal void ApplyTo(ZooKeeperClientOptions options) => options.UseTls(t =>
    {
        t.CaCertificatesFile = CaFile;
        t.ClientCertificateFile = CertificateFile;
        t.ClientKeyFile = KeyFile;
        t.ClientCertificatePassword = _keyPassword;
        t.CheckHostName = CheckHostName;
        t.EnabledProtocols = Protocols;
    });

    /// <summary><c>TLS</c> with the files and non-default settings, e.g. <c>TLS, CA file '/etc/zk/ca.pem', client certificate '/etc/zk/client.pem'</c>. Never contains the password.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("TLS");
        if (CaFile is not null)
        {
            sb.Append(", CA file '").Append(CaFile).Append('\'');
        }

        if (CertificateFile is not null)
        {
            sb.Append(", client certificate '").Append(CertificateFile).Append('\'');
        }

        if (KeyFile is not null)
        {
            sb.Append(", key '").Append(KeyFile).Append('\'');
        }

        if (Protocols != SslProtocols.None)
        {
            sb.Append(", protocols ").Append(Protocols);
        }

        if (!CheckHostName)
        {
            sb.Append(", no host name check");
        }

        return sb.ToString();
    }

    /// <summary>Value equality over every setting, the password included.</summary>
    public bool Equals(ZooKeeperTargetTls? other)
        => other is not null
        && string.Equals(CaFile, other.CaFile, StringComparison.Ordinal)
        && string.Equals(CertificateFile, other.CertificateFile, StringComparison.Ordinal)
        && string.Equals(KeyFile, other.KeyFile, StringComparison.Ordinal)
        && string.Equals(_keyPassword, other._keyPassword, StringComparison.Ordinal)
        && CheckHostName == other.CheckHostName
        && Protocols == other.Protocols;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(CaFile, CertificateFile, KeyFile, CheckHostName, Protocols);
}
