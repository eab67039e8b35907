using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// Decides, in one place, which ensemble, which znode path and which credentials a container uses (modelled on
/// ASAB's <c>asab.zookeeper</c>).
/// </summary>
/// <remarks>
/// <para><b>Servers</b>, first found wins: the URL's authority (<c>zookeeper://h1:2181,h2:2181/…</c>); the
/// configuration key <c>servers</c> of the section; the environment variable <see cref="ServersEnvironmentVariable"/>.
/// None of them: <see cref="ZooKeeperConfigurationException"/> naming all three.</para>
/// <para><b>Path</b>: the URL's absolute path (<c>zookeeper://h/p</c>, <c>zookeeper:///p</c>); or the URL's relative
/// path (<c>zookeeper:./p</c>) appended to the section's <c>path</c>, else to <see cref="DefaultPath"/>; or, when the URL
/// has no path (or there is no URL), the section's <c>path</c>, else <see cref="DefaultPath"/>. The section's
/// <c>path</c> may omit the leading '/' (<c>myfolder</c> means <c>/myfolder</c>).</para>
/// <para><b>Section</b> keys: <c>servers</c> (comma-separated <c>host[:port]</c>, port default 2181, IPv6 in brackets),
/// <c>path</c>, <c>session_timeout</c> (seconds, <c>10</c> or <c>2.5</c>, or a TimeSpan, <c>00:00:10</c>; default
/// 10 s), <c>username</c> and <c>password</c> (digest credentials, both or neither), and the TLS keys: <c>tls</c>
/// (<c>true</c>/<c>false</c>), <c>tls_ca_file</c>, <c>tls_cert_file</c>, <c>tls_key_file</c>, <c>tls_key_password</c>,
/// <c>tls_check_hostname</c> (default true), <c>tls_protocols</c> (<c>1.2</c>, <c>1.3</c>, <c>1.2,1.3</c>; also
/// <c>Tls12</c>/<c>TLSv1.2</c> forms; default: the operating system's choice). The <c>tls_*</c> keys need
/// <c>tls=true</c> (TLS also means naming the servers' secure ports, so it is never switched on implicitly); set
/// without it they are an error. Booleans are <c>true</c>/<c>false</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>
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

    /// <summary>The session timeout used when the section sets none.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(10);

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

        var parsedUrl = url is null ? null : ParseUrl(url);
        var section = ReadSection(configuration, sectionName);

        IReadOnlyList<ServerAddress> servers;
        string serversSource;
        if (parsedUrl?.Servers is { } urlServers)
        {
            servers = urlServers;
            serversSource = parsedUrl.Origin;
        }
        else if (section.Servers is { } sectionServers)
        {
            servers = sectionServers;
            serversSource = section.ServersOrigin;
        }
        else
        {
            var envOrigin = "environment variable " + ServersEnvironmentVariable;
            var envValue = environment(ServersEnvironmentVariable);
            if (string.IsNullOrEmpty(envValue))
            {
                var urlPart = parsedUrl is null ? "no URL was given" : $"{parsedUrl.Origin} names no servers";
                var configPart = configuration is null
                    ? $"{section.ServersOrigin} is not set (no configuration was given)"
                    : $"{section.ServersOrigin} is not set";
                throw new ZooKeeperConfigurationException(
                    $"No ZooKeeper servers: {urlPart}, {configPart}, and {envOrigin} is not set. "
                    + "Give them in one of these places, e.g. zookeeper://zookeeper-1:2181,zookeeper-2:2181/path.",
                    $"URL, {section.ServersOrigin}, {envOrigin}",
                    null);
            }

            CheckEnds(envValue, envOrigin, secret: false);
            servers = ParseServers(envValue, envOrigin);
            serversSource = envOrigin;
        }

        string path;
        string pathSource;
        if (parsedUrl?.AbsolutePath is { } absolute)
        {
            path = absolute;
            pathSource = parsedUrl.Origin;
        }
        else if (parsedUrl?.RelativePath is { } relative)
        {
            var (basePath, baseSource) = section.Path is { } sp
                ? (sp, section.PathOrigin)
                : (DefaultPath, $"the default path '{DefaultPath}'");
            // Both parts are valid (the base by ReadSection, the relative part by ParseUrl), so the join is too.
            path = basePath == "/" ? "/" + relative : basePath + "/" + relative;
            pathSource = $"{parsedUrl.Origin} relative to {baseSource}";
        }
        else if (section.Path is { } sectionPath)
        {
            path = sectionPath;
            pathSource = section.PathOrigin;
        }
        else
        {
            path = DefaultPath;
            pathSource = $"the default path '{DefaultPath}'";
        }

        return new ZooKeeperTarget(
            servers,
            serversSource,
            path,
            pathSource,
            section.SessionTimeout ?? DefaultSessionTimeout,
            section.Username,
            section.Password,
            section.Tls);
    }

    private sealed record ParsedUrl(string Origin, IReadOnlyList<ServerAddress>? Servers, string? AbsolutePath, string? RelativePath);

    private sealed class SectionValues
    {
        public required string ServersOrigin { get; init; }

        public required string PathOrigin { get; init; }

        public IReadOnlyList<ServerAddress>? Servers { get; init; }

        public string? Path { get; init; }

        public TimeSpan? SessionTimeout { get; init; }

        public string? Username { get; init; }

        public string? Password { get; init; }

        public ZooKeeperTargetTls? Tls { get; init; }
    }

    private static ParsedUrl ParseUrl(string url)
    {
        // Shown in messages and exception values instead of the URL itself: user information may hold a password.
        var safe = RedactUserInfo(url);
        var origin = $"URL '{Printable(safe)}'";
        if (url.Length == 0 || url.All(char.IsWhiteSpace))
        {
            throw Error($"The ZooKeeper {origin} is empty; pass null to take everything from configuration, or a URL such as zookeeper:///path.", origin, safe);
        }

        if (IndexOfWhiteSpace(url) >= 0)
        {
            var ws = IndexOfWhiteSpace(safe);
            var where = ws < 0 ? string.Empty : $" ('{Printable(safe[ws].ToString())}' at index {ws})";
            throw Error($"The ZooKeeper {origin} contains whitespace{where}.", origin, safe);
        }

        var colon = url.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw Error($"The ZooKeeper {origin} has no scheme; expected 'zookeeper:', e.g. zookeeper://zookeeper-1:2181/path, zookeeper:///path or zookeeper:./path.", origin, safe);
        }

        var scheme = url[..colon];
        if (!scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw Error($"The ZooKeeper {origin} has the wrong scheme '{Printable(scheme)}:'; expected 'zookeeper:', e.g. zookeeper://zookeeper-1:2181/path.", origin, scheme + ":");
        }

        var rest = url[(colon + 1)..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (query >= 0 && (fragment < 0 || query < fragment))
        {
            var q = rest[query..];
            throw Error($"The ZooKeeper {origin} has a query '{Printable(q)}'; queries are not supported.", origin, q);
        }

        if (fragment >= 0)
        {
            var f = rest[fragment..];
            throw Error($"The ZooKeeper {origin} has a fragment '{Printable(f)}'; fragments are not supported.", origin, f);
        }

        if (rest.Length == 0)
        {
            throw Error($"The ZooKeeper {origin} names neither servers nor a path; pass null to take everything from configuration, or write zookeeper:///path.", origin, safe);
        }

        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            var authority = slash < 0 ? rest[2..] : rest[2..slash];
            var pathPart = slash < 0 ? string.Empty : rest[slash..];
            if (authority.Contains('@', StringComparison.Ordinal))
            {
                throw Error($"The ZooKeeper {origin} has user information before '@'; credentials belong in the configuration keys 'username' and 'password'.", origin, null);
            }

            if (authority.Length == 0 && pathPart.Length == 0)
            {
                throw Error($"The ZooKeeper {origin} names neither servers nor a path; pass null to take everything from configuration, or write zookeeper:///path (servers from configuration) or zookeeper://host:2181/path.", origin, safe);
            }

            var servers = authority.Length == 0 ? null : ParseServers(authority, origin);
            string? path = null;
            if (pathPart.Length > 0)
            {
                CheckUrlPath(pathPart, origin);
                var error = ZooKeeperPath.GetError(pathPart);
                if (error is not null)
                {
                    throw Error($"Invalid path '{Printable(pathPart)}' in {origin}: {error}.", origin, pathPart);
                }

                path = pathPart;
            }

            return new ParsedUrl(origin, servers, path, null);
        }

        if (rest.StartsWith("./", StringComparison.Ordinal))
        {
            var relative = rest[2..];
            if (relative.Length == 0)
            {
                throw Error($"The ZooKeeper {origin} has an empty relative path './'; write zookeeper:./name, or pass null to use the configured path.", origin, rest);
            }

            CheckUrlPath(relative, origin);
            var asPath = "/" + relative;
            var error = ZooKeeperPath.GetError(asPath);
            if (error is not null)
            {
                var hint = relative.Split('/').Contains("..") ? " (a relative path must stay below its base path)" : string.Empty;
                throw Error($"Invalid relative path '{Printable(rest)}' in {origin}: as a path below its base, '{Printable(asPath)}' is invalid: {error}{hint}.", origin, rest);
            }

            return new ParsedUrl(origin, null, null, relative);
        }

        if (rest[0] == '/')
        {
            throw Error($"The ZooKeeper {origin} has an absolute path '{Printable(rest)}' without '//'; write zookeeper://{Printable(rest)} (servers from configuration) or zookeeper://host:2181{Printable(rest)}.", origin, rest);
        }

        throw Error($"The ZooKeeper {origin} has a relative path '{Printable(rest)}' without './'; relative paths must start with './' (zookeeper:./{Printable(rest)}), absolute ones with '///' (zookeeper:///{Printable(rest)}).", origin, rest);
    }

    private static void CheckUrlPath(string path, string origin)
    {
        var percent = path.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0)
        {
            throw Error($"The path '{Printable(path)}' in {origin} contains '%' (index {percent}); URL paths are taken literally and percent-encoding is not supported; put such paths in the configuration key 'path'.", origin, path);
        }
    }

    private static SectionValues ReadSection(IConfiguration? configuration, string sectionName)
    {
        var serversOrigin = $"configuration key '{sectionName}:{ServersKey}'";
        var pathOrigin = $"configuration key '{sectionName}:{PathKey}'";
        if (configuration is null)
        {
            return new SectionValues { ServersOrigin = serversOrigin, PathOrigin = pathOrigin };
        }

        var section = configuration.GetSection(sectionName);

        IReadOnlyList<ServerAddress>? servers = null;
        var serversText = ReadValue(section, ServersKey, secret: false, out serversOrigin);
        if (serversText is not null)
        {
            servers = ParseServers(serversText, serversOrigin);
        }

        string? path = null;
        var pathText = ReadValue(section, PathKey, secret: false, out pathOrigin);
        if (pathText is not null)
        {
            path = pathText[0] == '/' ? pathText : "/" + pathText;
            var error = ZooKeeperPath.GetError(path);
            if (error is not null)
            {
                var shown = path == pathText ? string.Empty : $" (read as '{Printable(path)}')";
                throw Error($"Invalid path '{Printable(pathText)}'{shown} in {pathOrigin}: {error}.", pathOrigin, pathText);
            }
        }

        TimeSpan? sessionTimeout = null;
        var timeoutText = ReadValue(section, SessionTimeoutKey, secret: false, out var timeoutOrigin);
        if (timeoutText is not null)
        {
            sessionTimeout = ParseSessionTimeout(timeoutText, timeoutOrigin);
        }

        var username = ReadValue(section, UsernameKey, secret: false, out var userOrigin);
        var password = ReadValue(section, PasswordKey, secret: true, out var passwordOrigin);
        if (username is not null && password is null)
        {
            throw Error($"The digest user '{Printable(username)}' in {userOrigin} has no password: {passwordOrigin} is not set. Set both or neither.", passwordOrigin, null);
        }

        if (username is null && password is not null)
        {
            throw Error($"{Capitalize(passwordOrigin)} is set but {userOrigin} is not. Set both or neither.", userOrigin, null);
        }

        if (username is not null)
        {
            if (username.Contains(':', StringComparison.Ordinal))
            {
                throw Error($"The digest user '{Printable(username)}' in {userOrigin} contains ':', which digest credentials cannot carry.", userOrigin, username);
            }

            if (!IsWellFormedUtf16(username))
            {
                throw Error($"The digest user '{Printable(username)}' in {userOrigin} contains an unpaired surrogate and cannot be sent as UTF-8.", userOrigin, username);
            }

            if (!IsWellFormedUtf16(password!))
            {
                throw Error($"The value of {passwordOrigin} contains an unpaired surrogate and cannot be sent as UTF-8 (value not shown).", passwordOrigin, null);
            }
        }

        return new SectionValues
        {
            ServersOrigin = serversOrigin,
            PathOrigin = pathOrigin,
            Servers = servers,
            Path = path,
            SessionTimeout = sessionTimeout,
            Username = username,
            Password = password,
            Tls = ReadTls(section),
        };
    }

    /// <summary>The <c>tls</c> and <c>tls_*</c> keys: null when TLS is off; throws on bad values or <c>tls_*</c> keys without <c>tls=true</c>.</summary>
    private static ZooKeeperTargetTls? ReadTls(IConfigurationSection section)
    {
        var enabled = ReadBoolean(section, TlsKey, out var enabledText, out var enabledOrigin);
        var caFile = ReadValue(section, TlsCaFileKey, secret: false, out var caOrigin);
        var certFile = ReadValue(section, TlsCertFileKey, secret: false, out var certOrigin);
        var keyFile = ReadValue(section, TlsKeyFileKey, secret: false, out var keyOrigin);
        var keyPassword = ReadValue(section, TlsKeyPasswordKey, secret: true, out var passwordOrigin);
        var checkHostName = ReadBoolean(section, TlsCheckHostNameKey, out var checkText, out var checkOrigin);
        var protocolsText = ReadValue(section, TlsProtocolsKey, secret: false, out var protocolsOrigin);
        var protocols = protocolsText is null ? SslProtocols.None : ParseTlsProtocols(protocolsText, protocolsOrigin);

        if (enabled != true)
        {
            // The first tls_* key that is set, with the value to show (never the password).
            var (origin, isSet, shown) = new (string Origin, bool IsSet, string? Shown)[]
            {
                (caOrigin, caFile is not null, caFile),
                (certOrigin, certFile is not null, certFile),
                (keyOrigin, keyFile is not null, keyFile),
                (passwordOrigin, keyPassword is not null, null),
                (checkOrigin, checkText is not null, checkText),
                (protocolsOrigin, protocolsText is not null, protocolsText),
            }.FirstOrDefault(k => k.IsSet);
            if (isSet)
            {
                var state = enabledText is null ? "is not set" : $"is '{Printable(enabledText)}'";
                var what = shown is null ? $"The TLS setting in {origin} (value not shown)" : $"The TLS setting '{Printable(shown)}' in {origin}";
                throw Error($"{what} needs TLS, but {enabledOrigin} {state}: set {TlsKey}=true to connect with TLS (and name the servers' secure client ports), or remove the {TlsKey}_* keys.", origin, shown);
            }

            return null;
        }

        if (keyFile is not null && certFile is null)
        {
            throw Error($"The TLS key file '{Printable(keyFile)}' in {keyOrigin} has no certificate: {certOrigin} is not set (the key belongs to a client certificate).", keyOrigin, keyFile);
        }

        if (keyPassword is not null && certFile is null)
        {
            throw Error($"The TLS key password in {passwordOrigin} (value not shown) has no client certificate to unlock: {certOrigin} is not set.", passwordOrigin, null);
        }

        return new ZooKeeperTargetTls(caFile, certFile, keyFile, keyPassword, checkHostName ?? true, protocols);
    }

    private static bool? ReadBoolean(IConfigurationSection section, string key, out string? text, out string origin)
    {
        text = ReadValue(section, key, secret: false, out origin);
        return text?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw Error($"The value '{Printable(text)}' of {origin} is not a boolean; expected true or false (also yes/no, on/off, 1/0).", origin, text),
        };
    }

    private static SslProtocols ParseTlsProtocols(string text, string origin)
    {
        var protocols = SslProtocols.None;
        foreach (var entry in text.Split(','))
        {
            protocols |= entry.ToLowerInvariant() switch
            {
                "1.2" or "tls12" or "tls1.2" or "tlsv1.2" => SslProtocols.Tls12,
                "1.3" or "tls13" or "tls1.3" or "tlsv1.3" => SslProtocols.Tls13,
                _ => throw Error($"The TLS versions '{Printable(text)}' in {origin} name an unknown version '{Printable(entry)}'; expected 1.2 and/or 1.3, comma-separated (also Tls12, TLSv1.2, ...).", origin, text),
            };
        }

        return protocols;
    }

    /// <summary>Reads one key: null when absent or empty; throws on nested keys or whitespace at either end.</summary>
    private static string? ReadValue(IConfigurationSection section, string key, bool secret, out string origin)
    {
        var child = section.GetSection(key);
        origin = $"configuration key '{child.Path}'";
        var value = child.Value;
        if (value is null)
        {
            if (child.GetChildren().Any())
            {
                throw Error($"{Capitalize(origin)} has nested keys (an object or array); expected a single value.", origin, null);
            }

            return null;
        }

        if (value.Length == 0)
        {
            return null;
        }

        CheckEnds(value, origin, secret);
        return value;
    }

    private static void CheckEnds(string value, string origin, bool secret)
    {
        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            if (secret)
            {
                throw Error($"The value of {origin} has leading or trailing whitespace (value not shown); values are not trimmed.", origin, null);
            }

            throw Error($"The value '{Printable(value)}' of {origin} has leading or trailing whitespace; values are not trimmed.", origin, value);
        }
    }

    private static TimeSpan ParseSessionTimeout(string text, string origin)
    {
        TimeSpan timeout;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                throw Error($"The session timeout '{Printable(text)}' in {origin} must be a positive number of seconds.", origin, text);
            }

            if (seconds * 1000 > int.MaxValue)
            {
                throw Error($"The session timeout '{Printable(text)}' in {origin} is too large (at most {int.MaxValue} ms).", origin, text);
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out timeout))
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw Error($"The session timeout '{Printable(text)}' in {origin} must be positive.", origin, text);
            }

            if (timeout.TotalMilliseconds > int.MaxValue)
            {
                throw Error($"The session timeout '{Printable(text)}' in {origin} is too large (at most {int.MaxValue} ms).", origin, text);
            }
        }
        else
        {
            throw Error($"The session timeout '{Printable(text)}' in {origin} is neither a number of seconds (e.g. 10 or 2.5) nor a TimeSpan (e.g. 00:00:10).", origin, text);
        }

        if (timeout < TimeSpan.FromMilliseconds(1))
        {
            throw Error($"The session timeout '{Printable(text)}' in {origin} is shorter than 1 ms.", origin, text);
        }

        return timeout;
    }

    private static ServerAddress[] ParseServers(string text, string origin)
    {
        var ws = IndexOfWhiteSpace(text);
        if (ws >= 0)
        {
            throw Error($"The server list '{Printable(text)}' in {origin} contains whitespace ('{Printable(text[ws].ToString())}' at index {ws}).", origin, text);
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            throw Error($"The server list '{Printable(text)}' in {origin} contains '/'; a chroot is not accepted here, the path is set separately.", origin, text);
        }

        var entries = text.Split(',');
        var servers = new ServerAddress[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Length == 0)
            {
                throw Error($"The server list '{Printable(text)}' in {origin} has an empty entry (number {i + 1} of {entries.Length}); check for ',,' or a comma at either end.", origin, text);
            }

            ServerAddress server;
            try
            {
                server = ConnectionString.ParseServer(entry);
            }
            catch (FormatException e)
            {
                throw Error($"Invalid server list '{Printable(text)}' in {origin}: {e.Message}", origin, entry, e);
            }

            var hostError = GetHostError(entry[0] == '[', server.Host);
            if (hostError is not null)
            {
                throw Error($"Invalid server list '{Printable(text)}' in {origin}: server entry '{Printable(entry)}' {hostError}.", origin, entry);
            }

            for (var j = 0; j < i; j++)
            {
                if (servers[j].Port == server.Port && string.Equals(servers[j].Host, server.Host, StringComparison.OrdinalIgnoreCase))
                {
                    throw Error($"The server list '{Printable(text)}' in {origin} names '{Printable(entry)}' twice.", origin, entry);
                }
            }

            servers[i] = server;
        }

        return servers;
    }

    /// <summary>Stricter host rules on top of <see cref="ConnectionString.ParseServer"/>.</summary>
    private static string? GetHostError(bool bracketed, string host)
    {
        if (bracketed)
        {
            var percent = host.IndexOf('%', StringComparison.Ordinal);
            var address = percent < 0 ? host : host[..percent];
            if (!address.Contains(':', StringComparison.Ordinal)
                || !IPAddress.TryParse(address, out var ip)
                || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return $"has '{Printable(host)}' in brackets, which is not an IPv6 address (brackets are only for IPv6)";
            }

            if (percent >= 0)
            {
                var zone = host[(percent + 1)..];
                if (zone.Length == 0 || zone.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
                {
                    return $"has an invalid IPv6 zone '{Printable(zone)}'";
                }
            }

            return null;
        }

        if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            var octets = host.Split('.');
            if (octets.Length != 4
                || octets.Any(o => o.Length == 0 || o.Length > 3 || (o.Length > 1 && o[0] == '0') || int.Parse(o, CultureInfo.InvariantCulture) > 255))
            {
                return $"has the host '{Printable(host)}', which is not a valid IPv4 address (four numbers 0-255 without leading zeros)";
            }

            return null;
        }

        if (host.Length > 253)
        {
            return $"has a host name longer than 253 characters";
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length == 0)
            {
                return $"has the host name '{Printable(host)}' with an empty label (check for '..' or a '.' at either end)";
            }

            if (label.Length > 63)
            {
                return $"has the host name '{Printable(host)}' with a label longer than 63 characters";
            }

            var bad = label.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
            if (bad != default)
            {
                return $"has the host name '{Printable(host)}' with the invalid character '{Printable(bad.ToString())}'";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"has the host name '{Printable(host)}' with a label that starts or ends with '-'";
            }
        }

        return null;
    }

    private static ZooKeeperConfigurationException Error(string message, string origin, string? value, Exception? inner = null)
        => new(message, origin, value, inner);

    private static int IndexOfWhiteSpace(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsWhiteSpace(s[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>Replaces user information (<c>user:password@</c>) in the URL's authority with <c>***@</c>.</summary>
    private static string RedactUserInfo(string url)
    {
        var start = url.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return url;
        }

        start += 2;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        if (end < 0)
        {
            end = url.Length;
        }

        var at = url.LastIndexOf('@', end - 1, end - start);
        return at < 0 ? url : url[..start] + "***" + url[at..];
    }

    /// <summary>The text with control, surrogate, non-character and non-space whitespace characters written as \uXXXX.</summary>
    internal static string Printable(string s)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var escape = char.IsControl(c) || char.IsSurrogate(c) || c >= '\ufff0' || (c != ' ' && char.IsWhiteSpace(c));
            if (escape && sb is null)
            {
                sb = new StringBuilder(s.Length + 8).Append(s, 0, i);
            }

            if (escape)
            {
                sb!.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb?.Append(c);
            }
        }

        return sb?.ToString() ?? s;
    }
}
