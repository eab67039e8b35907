using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// Decides, in one place, which ensemble, which znode path and which credentials a container uses (modelled on
/// ASAB's <c>asab.zookeeper</c>).
/// </summary>
/// <remarks>
/// <para><b>Servers</b>, first found wins: the URL's authority (<c>zookeeper://h1:2181,h2:2181/…</c>); the
/// configuration key <c>servers</c> of the container's section; when that section is not <c>[zookeeper]</c>, the key
/// <c>servers</c> of <c>[zookeeper]</c> (as asab falls back); the environment variable
/// <see cref="ServersEnvironmentVariable"/>. None of them: <see cref="ZooKeeperConfigurationException"/> naming all. Each server entry follows the client's
/// connect-string grammar (the same rules, so a container accepts exactly the hosts a client accepts): a host name
/// (ASCII letters, digits, '-', '_', labels not starting or ending with '-', no trailing dot), an IPv4 address (four
/// numbers 0-255 without leading zeros) or an IPv6 address in brackets, then an optional port 1-65535 (default 2181).
/// A list names no server twice and holds no chroot.</para>
/// <para><b>Path</b>: the URL's absolute path (<c>zookeeper://h/p</c>, <c>zookeeper:///p</c>); or the URL's relative
/// path (<c>zookeeper:./p</c>) appended to the base path; or, when the URL has no path (or there is no URL), the base
/// path itself. The base path is the section's <c>path</c>, else (for a section other than <c>[zookeeper]</c>) the
/// <c>path</c> of <c>[zookeeper]</c>, else <see cref="DefaultPath"/>. A <c>path</c> may omit the leading '/'
/// (<c>myfolder</c> means <c>/myfolder</c>). Of <c>[zookeeper]</c> only <c>servers</c> and <c>path</c> are taken over,
/// and each is read (and validated) only when the container's own section does not set it.</para>
/// <para><b>Section</b> keys: <c>servers</c> (comma-separated <c>host[:port]</c> entries as above),
/// <c>path</c>, <c>session_timeout</c> or asab's <c>timeout</c> (seconds, <c>10</c> or <c>2.5</c>; a duration with asab's
/// units, <c>10s</c>, <c>500ms</c>, <c>2m</c>; or a TimeSpan, <c>00:00:10</c>; default 10 s, kazoo's default; both keys
/// may be set only to the same duration), <c>connect_timeout</c> (the bound on one connection attempt — TCP connect, TLS and session handshake —
/// in the same forms; default: the client's, the session timeout ÷ servers within 1-10 s; see
/// <see cref="ZooKeeperTarget.ConnectTimeout"/>), <c>username</c> and <c>password</c> (digest credentials, both or
/// neither), and the TLS keys: <c>tls</c> (<c>true</c>/<c>false</c>), <c>tls_ca_file</c>, <c>tls_cert_file</c>,
/// <c>tls_key_file</c>, <c>tls_key_password</c>, <c>tls_check_hostname</c> (default true), <c>tls_protocols</c> (<c>1.2</c>, <c>1.3</c>, <c>1.2,1.3</c>; also
/// <c>Tls12</c>/<c>TLSv1.2</c> forms; default: the operating system's choice). The <c>tls_*</c> keys need
/// <c>tls=true</c> (TLS also means naming the servers' secure ports, so it is never switched on implicitly); set
/// without it they are an error. SASL keys: <c>sasl_username</c> and <c>sasl_password</c> (both or neither; setting
/// them turns SASL on), <c>sasl_mechanism</c> (<c>DIGEST-MD5</c>, the default, or <c>GSSAPI</c> for Kerberos, which
/// turns SASL on by itself and may go without a user: the default Kerberos credentials) and
/// <c>sasl_server_principal</c> (default for DIGEST-MD5 <c>zookeeper/zk-sasl-md5</c>, what ZooKeeper servers expect;
/// for GSSAPI <c>zookeeper/&lt;host&gt;</c>); with DIGEST-MD5 the mechanism and principal keys need <c>sasl_username</c>. SASL and digest credentials may be used together. Booleans are <c>true</c>/<c>false</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>
/// or <c>1</c>/<c>0</c>. The files are read when the client is created (relative paths from the working directory).
/// Keys of the section that this resolver does not know are left to other components.</para>
/// <para><b>URL forms</b> (the scheme is case-insensitive), and nothing else:
/// <c>zookeeper://servers/abs/path</c>, <c>zookeeper://servers</c> (path from elsewhere),
/// <c>zookeeper:///abs/path</c> (servers from elsewhere), <c>zookeeper:./rel/path</c> (servers from elsewhere).
/// Rejected: another scheme or none; <c>zookeeper:</c> and <c>zookeeper://</c> with nothing after them (pass null to
/// take everything from configuration); <c>zookeeper:/abs</c> (write <c>zookeeper:///abs</c>); <c>zookeeper:rel</c>
/// (relative paths must start with <c>./</c>); user info, query, fragment, percent-encoding (the path is taken
/// literally, so '%' would be ambiguous); whitespace anywhere.</para>
/// <para><b>Values</b> are never trimmed or repaired: whitespace at either end of a configuration or environment value
/// is an error, as is whitespace inside a server list. An empty value counts as not set (as in ASAB), so
/// <c>servers=</c> falls through to the next place. Every value in the section is validated even when the URL
/// overrides it; the environment variable is read only when the URL and the section name no servers.</para>
/// </remarks>
public static class ZooKeeperTargetResolver
{
    /// <summary>The environment variable with the fallback server list (<c>zookeeper-1:2181,zookeeper-2:2181</c>).</summary>
    public const string ServersEnvironmentVariable = ConfigurationKeys.ServersEnvironmentVariable;

    /// <summary>The configuration section read when a container names none.</summary>
    public const string DefaultSectionName = ConfigurationKeys.DefaultSectionName;

    /// <summary>The path used when neither the URL nor the section gives one (and the base of relative URL paths then).</summary>
    public const string DefaultPath = ConfigurationKeys.DefaultPath;

    /// <summary>The URL scheme, without the colon.</summary>
    public const string Scheme = ConfigurationKeys.Scheme;

    /// <summary>Section key: comma-separated <c>host[:port]</c> list.</summary>
    public const string ServersKey = ConfigurationKeys.ServersKey;

    /// <summary>Section key: the container's path.</summary>
    public const string PathKey = ConfigurationKeys.PathKey;

    /// <summary>Section key: the session timeout.</summary>
    public const string SessionTimeoutKey = ConfigurationKeys.SessionTimeoutKey;

    /// <summary>Section key: the session timeout as asab names it (kazoo's <c>timeout</c>), in asab's duration syntax (<c>10s</c>).</summary>
    public const string TimeoutKey = ConfigurationKeys.TimeoutKey;

    /// <summary>Section key: the bound on one connection attempt (seconds or a TimeSpan, like <see cref="SessionTimeoutKey"/>).</summary>
    public const string ConnectTimeoutKey = ConfigurationKeys.ConnectTimeoutKey;

    /// <summary>Section key: the digest user name.</summary>
    public const string UsernameKey = ConfigurationKeys.UsernameKey;

    /// <summary>Section key: the digest password.</summary>
    public const string PasswordKey = ConfigurationKeys.PasswordKey;

    /// <summary>Section key: connect with TLS (<c>true</c>/<c>false</c>); the <c>tls_*</c> keys need it.</summary>
    public const string TlsKey = ConfigurationKeys.TlsKey;

    /// <summary>Section key: file with the CA certificates to trust (PEM, DER or PKCS#12); default: the system's roots.</summary>
    public const string TlsCaFileKey = ConfigurationKeys.TlsCaFileKey;

    /// <summary>Section key: the client certificate for mutual TLS (PEM, key in it or in <see cref="TlsKeyFileKey"/>; or PKCS#12).</summary>
    public const string TlsCertFileKey = ConfigurationKeys.TlsCertFileKey;

    /// <summary>Section key: the client certificate's PEM private key, when not in the certificate file.</summary>
    public const string TlsKeyFileKey = ConfigurationKeys.TlsKeyFileKey;

    /// <summary>Section key: password of an encrypted PEM key or of a PKCS#12 certificate file. Never shown.</summary>
    public const string TlsKeyPasswordKey = ConfigurationKeys.TlsKeyPasswordKey;

    /// <summary>Section key: check that the server certificate is issued for the host name (default true).</summary>
    public const string TlsCheckHostNameKey = ConfigurationKeys.TlsCheckHostNameKey;

    /// <summary>Section key: the TLS versions to offer, comma-separated (<c>1.2</c>, <c>1.3</c>).</summary>
    public const string TlsProtocolsKey = ConfigurationKeys.TlsProtocolsKey;

    /// <summary>Section key: the SASL user; setting it turns SASL on (with <see cref="SaslPasswordKey"/>).</summary>
    public const string SaslUsernameKey = ConfigurationKeys.SaslUsernameKey;

    /// <summary>Section key: the SASL password. Never shown.</summary>
    public const string SaslPasswordKey = ConfigurationKeys.SaslPasswordKey;

    /// <summary>Section key: the SASL mechanism, <c>DIGEST-MD5</c> (the default) or <c>GSSAPI</c> (Kerberos).</summary>
    public const string SaslMechanismKey = ConfigurationKeys.SaslMechanismKey;

    /// <summary>Section key: the server's SASL principal, <c>service/host</c> (default for DIGEST-MD5: <c>zookeeper/zk-sasl-md5</c>).</summary>
    public const string SaslServerPrincipalKey = ConfigurationKeys.SaslServerPrincipalKey;

    /// <summary>The session timeout used when the section sets none.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = ConfigurationKeys.DefaultSessionTimeout;

    /// <summary>Resolves a container's target; see the type's remarks for the rules.</summary>
    /// <param name="url">The container's URL, or null to take everything from the section, the environment and the defaults.</param>
    /// <param name="configuration">The configuration holding the section, or null for none.</param>
    /// <param name="sectionName">The section's name (nested sections with ':'); default <see cref="DefaultSectionName"/>.</param>
    /// <param name="environment">Reads an environment variable; default <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ZooKeeperConfigurationException">A value is invalid or the servers are missing everywhere.</exception>
    public static ZooKeeperTarget Resolve(string? url, IConfiguration? configuration, string sectionName = DefaultSectionName, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionName);
        environment ??= Environment.GetEnvironmentVariable;

        // Both are read (and so validated) in full before anything is chosen: a bad value fails even when overridden.
        var parsedUrl = url is null ? null : TargetUrl.Parse(url);
        var section = TargetSection.Read(configuration, sectionName);
        var fallback = string.Equals(sectionName, DefaultSectionName, StringComparison.Ordinal) ? null : TargetSection.ReadFallback(configuration, DefaultSectionName);

        var (servers, serversSource) = ChooseServers(parsedUrl, section, fallback, configuration is null, environment);
        var (path, pathSource) = ChoosePath(parsedUrl, section, fallback);
        return new ZooKeeperTarget(
            servers,
            serversSource,
            path,
            pathSource,
            section.SessionTimeout ?? DefaultSessionTimeout,
            section.Username,
            section.Password,
            section.Tls,
            section.ConnectTimeout,
            section.Sasl);
    }

    /// <summary>The URL's servers, else the section's, else the fallback section's, else the environment variable's (each read only then).</summary>
    private static (IReadOnlyList<ServerAddress> Servers, string Source) ChooseServers(TargetUrl? url, TargetSection section, FallbackSection? fallback, bool noConfiguration, Func<string, string?> environment)
    {
        if (url?.Servers is { } urlServers)
        {
            return (urlServers, url.Origin);
        }

        if (section.Servers is { } sectionServers)
        {
            return (sectionServers, section.ServersOrigin);
        }

        if (fallback?.Servers() is { } inherited)
        {
            return inherited;
        }

        var envOrigin = "environment variable " + ServersEnvironmentVariable;
        var envValue = environment(ServersEnvironmentVariable);
        if (string.IsNullOrEmpty(envValue))
        {
            var urlPart = url is null ? "no URL was given" : $"{url.Origin} names no servers";
            var configOrigins = fallback is null ? section.ServersOrigin : $"{section.ServersOrigin}, {fallback.ServersOrigin}";
            var configPart = noConfiguration
                ? $"{section.ServersOrigin} is not set (no configuration was given)"
                : fallback is null ? $"{section.ServersOrigin} is not set" : $"neither {section.ServersOrigin} nor {fallback.ServersOrigin} is set";
            throw Error(
                $"No ZooKeeper servers: {urlPart}, {configPart}, and {envOrigin} is not set. "
                + "Give them in one of these places, e.g. zookeeper://zookeeper-1:2181,zookeeper-2:2181/path.",
                $"URL, {configOrigins}, {envOrigin}",
                null);
        }

        ConfigurationValue.CheckEnds(envValue, envOrigin, secret: false);
        return (ServerListValue.Parse(envValue, envOrigin), envOrigin);
    }

    /// <summary>
    /// The URL's absolute path; else the URL's relative path below the base path; else the base path. The base path
    /// is the section's path, else the fallback section's, else <see cref="DefaultPath"/>.
    /// </summary>
    private static (string Path, string Source) ChoosePath(TargetUrl? url, TargetSection section, FallbackSection? fallback)
    {
        if (url?.AbsolutePath is { } absolute)
        {
            return (absolute, url.Origin);
        }

        var (basePath, baseSource) = section.Path is { } sp
            ? (sp, section.PathOrigin)
            : fallback?.Path() ?? (DefaultPath, $"the default path '{DefaultPath}'");
        if (url?.RelativePath is { } relative)
        {
            // Both parts are valid (the base by TargetSection, the relative part by TargetUrl), so the join is too.
            var joined = basePath == "/" ? "/" + relative : basePath + "/" + relative;
            ConfigurationKeys.CheckNotReserved(joined, url.Origin, "./" + relative);
            return (joined, $"{url.Origin} relative to {baseSource}");
        }

        return (basePath, baseSource);
    }
}
