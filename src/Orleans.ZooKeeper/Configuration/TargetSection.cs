using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;
using static Orleans.ZooKeeper.ConfigurationKeys;

namespace Orleans.ZooKeeper;

/// <summary>
/// The values of a container's configuration section (keys listed in <see cref="ZooKeeperTargetResolver"/>'s
/// remarks), each read and validated; a key that is not set (or empty) is null. Every key is validated whether or not
/// the URL later overrides it. Keys this reader does not know are left to other components.
/// </summary>
internal sealed class TargetSection
{
    /// <summary>Where servers come from in this section (<c>configuration key 'zookeeper:servers'</c>), also when not set.</summary>
    public required string ServersOrigin { get; init; }

    /// <summary>Where the path comes from in this section (<c>configuration key 'zookeeper:path'</c>), also when not set.</summary>
    public required string PathOrigin { get; init; }

    /// <summary>The servers, or null.</summary>
    public IReadOnlyList<ServerAddress>? Servers { get; init; }

    /// <summary>The absolute path (a leading '/' added when the key omits it), or null.</summary>
    public string? Path { get; init; }

    /// <summary>The session timeout, or null.</summary>
    public TimeSpan? SessionTimeout { get; init; }

    /// <summary>The bound on one connection attempt, or null (the client's default).</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>The digest user (set together with <see cref="Password"/>), or null.</summary>
    public string? Username { get; init; }

    /// <summary>The digest password (set together with <see cref="Username"/>), or null. Never shown.</summary>
    public string? Password { get; init; }

    /// <summary>The TLS settings, or null when TLS is off.</summary>
    public ZooKeeperTargetTls? Tls { get; init; }

    /// <summary>The SASL settings, or null when SASL is off.</summary>
    public ZooKeeperTargetSasl? Sasl { get; init; }

    /// <summary>Reads section <paramref name="sectionName"/> of <paramref name="configuration"/> (nothing set when it is null).</summary>
    /// <exception cref="ZooKeeperConfigurationException">A value is invalid.</exception>
    public static TargetSection Read(IConfiguration? configuration, string sectionName)
    {
        var serversOrigin = $"configuration key '{sectionName}:{ServersKey}'";
        var pathOrigin = $"configuration key '{sectionName}:{PathKey}'";
        if (configuration is null)
        {
            return new TargetSection { ServersOrigin = serversOrigin, PathOrigin = pathOrigin };
        }

        var section = configuration.GetSection(sectionName);
        var servers = ReadServers(section, out serversOrigin);
        var path = ReadPath(section, out pathOrigin);
        var sessionTimeout = ReadSessionTimeout(section);
        var connectTimeout = ReadTimeout(section, ConnectTimeoutKey, "connect timeout");

        var (username, password) = ReadCredentials(section);
        return new TargetSection
        {
            ServersOrigin = serversOrigin,
            PathOrigin = pathOrigin,
            Servers = servers,
            Path = path,
            SessionTimeout = sessionTimeout,
            ConnectTimeout = connectTimeout,
            Username = username,
            Password = password,
            Tls = TargetSectionTls.Read(section),
            Sasl = TargetSectionSasl.Read(section),
        };
    }

    /// <summary>
    /// Only <c>servers</c> and <c>path</c> of section <paramref name="sectionName"/>, each read and validated on first
    /// use: the fallback a container's own section has in the <c>[zookeeper]</c> section, as in asab.
    /// </summary>
    public static FallbackSection ReadFallback(IConfiguration? configuration, string sectionName)
        => new(configuration?.GetSection(sectionName), sectionName);

    /// <summary>The <c>servers</c> key: null when not set.</summary>
    internal static IReadOnlyList<ServerAddress>? ReadServers(IConfigurationSection section, out string origin)
    {
        var text = ConfigurationValue.Read(section, ServersKey, secret: false, out origin);
        return text is null ? null : ServerListValue.Parse(text, origin);
    }

    /// <summary>The <c>path</c> key as an absolute path (a leading '/' added when the key omits it): null when not set.</summary>
    internal static string? ReadPath(IConfigurationSection section, out string origin)
    {
        var text = ConfigurationValue.Read(section, PathKey, secret: false, out origin);
        if (text is null)
        {
            return null;
        }

        var path = text[0] == '/' ? text : "/" + text;
        var error = ZooKeeperPath.GetError(path);
        if (error is not null)
        {
            var shown = path == text ? string.Empty : $" (read as '{Printable(path)}')";
            throw Error($"Invalid path '{Printable(text)}'{shown} in {origin}: {error}.", origin, text);
        }

        CheckNotReserved(path, origin, text);
        return path;
    }

    /// <summary>The digest credentials: both keys or neither; a user without ':'; both sendable as UTF-8.</summary>
    private static (string? Username, string? Password) ReadCredentials(IConfigurationSection section)
    {
        var (username, password) = ReadCredentialPair(section, UsernameKey, PasswordKey, "digest", out var userOrigin);
        if (username is not null && username.Contains(':', StringComparison.Ordinal))
        {
            throw Error($"The digest user '{Printable(username)}' in {userOrigin} contains ':', which digest credentials cannot carry.", userOrigin, username);
        }

        return (username, password);
    }

    /// <summary>
    /// A user key and a password key (<paramref name="kind"/> names them in errors: digest, SASL): both or neither,
    /// both sendable as UTF-8; the password never shown.
    /// </summary>
    internal static (string? Username, string? Password) ReadCredentialPair(IConfigurationSection section, string userKey, string passwordKey, string kind, out string userOrigin)
    {
        var username = ConfigurationValue.Read(section, userKey, secret: false, out userOrigin);
        var password = ConfigurationValue.Read(section, passwordKey, secret: true, out var passwordOrigin);
        if (username is not null && password is null)
        {
            throw Error($"The {kind} user '{Printable(username)}' in {userOrigin} has no password: {passwordOrigin} is not set. Set both or neither.", passwordOrigin, null);
        }

        if (username is null && password is not null)
        {
            throw Error($"{Capitalize(passwordOrigin)} is set but {userOrigin} is not. Set both or neither.", userOrigin, null);
        }

        if (username is not null)
        {
            if (!IsWellFormedUtf16(username))
            {
                throw Error($"The {kind} user '{Printable(username)}' in {userOrigin} contains an unpaired surrogate and cannot be sent as UTF-8.", userOrigin, username);
            }

            if (!IsWellFormedUtf16(password!))
            {
                throw Error($"The value of {passwordOrigin} contains an unpaired surrogate and cannot be sent as UTF-8 (value not shown).", passwordOrigin, null);
            }
        }

        return (username, password);
    }

    /// <summary>A duration key (null when not set), see <see cref="DurationValue"/>.</summary>
    private static TimeSpan? ReadTimeout(IConfigurationSection section, string key, string what)
    {
        var text = ConfigurationValue.Read(section, key, secret: false, out var origin);
        return text is null ? null : DurationValue.Parse(text, origin, what);
    }

    /// <summary>
    /// The session timeout from <c>session_timeout</c> and asab's <c>timeout</c> (kazoo's session timeout, e.g.
    /// <c>10s</c>); both may be set only to the same duration.
    /// </summary>
    private static TimeSpan? ReadSessionTimeout(IConfigurationSection section)
    {
        var ours = ReadTimeout(section, SessionTimeoutKey, "session timeout");
        var asab = ReadTimeout(section, TimeoutKey, "session timeout");
        if (ours is { } a && asab is { } b && a != b)
        {
            var origin = $"configuration key '{section.Path}:{SessionTimeoutKey}'";
            throw Error(
                $"{Capitalize(origin)} ({a.TotalSeconds:0.###} s) and configuration key '{section.Path}:{TimeoutKey}' ({b.TotalSeconds:0.###} s) both set the session timeout, to different values; set one of them.",
                $"{origin}, configuration key '{section.Path}:{TimeoutKey}'",
                null);
        }

        return ours ?? asab;
    }
}
