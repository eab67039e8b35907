using System.Globalization;
using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;
using static Orleans.ZooKeeper.ZooKeeperTargetResolver;

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

        IReadOnlyList<ServerAddress>? servers = null;
        var serversText = ConfigurationValue.Read(section, ServersKey, secret: false, out serversOrigin);
        if (serversText is not null)
        {
            servers = ServerListValue.Parse(serversText, serversOrigin);
        }

        string? path = null;
        var pathText = ConfigurationValue.Read(section, PathKey, secret: false, out pathOrigin);
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

        var sessionTimeout = ReadTimeout(section, SessionTimeoutKey, "session timeout");
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
        };
    }

    /// <summary>The digest credentials: both keys or neither; a user without ':'; both sendable as UTF-8.</summary>
    private static (string? Username, string? Password) ReadCredentials(IConfigurationSection section)
    {
        var username = ConfigurationValue.Read(section, UsernameKey, secret: false, out var userOrigin);
        var password = ConfigurationValue.Read(section, PasswordKey, secret: true, out var passwordOrigin);
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

        return (username, password);
    }

    /// <summary>A timeout key (null when not set): seconds or a TimeSpan, see <see cref="ParseTimeout"/>.</summary>
    private static TimeSpan? ReadTimeout(IConfigurationSection section, string key, string what)
    {
        var text = ConfigurationValue.Read(section, key, secret: false, out var origin);
        return text is null ? null : ParseTimeout(text, origin, what);
    }

    /// <summary>
    /// Seconds (<c>10</c>, <c>2.5</c>) or a TimeSpan (<c>00:00:10</c>); positive, at least 1 ms, at most int.MaxValue ms.
    /// <paramref name="what"/> names the setting in messages (<c>session timeout</c>).
    /// </summary>
    private static TimeSpan ParseTimeout(string text, string origin, string what)
    {
        var shown = $"The {what} '{Printable(text)}' in {origin}";
        TimeSpan timeout;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                throw Error($"{shown} must be a positive number of seconds.", origin, text);
            }

            if (seconds * 1000 > int.MaxValue)
            {
                throw Error($"{shown} is too large (at most {int.MaxValue} ms).", origin, text);
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out timeout))
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw Error($"{shown} must be positive.", origin, text);
            }

            if (timeout.TotalMilliseconds > int.MaxValue)
            {
                throw Error($"{shown} is too large (at most {int.MaxValue} ms).", origin, text);
            }
        }
        else
        {
            throw Error($"{shown} is neither a number of seconds (e.g. 10 or 2.5) nor a TimeSpan (e.g. 00:00:10).", origin, text);
        }

        if (timeout < TimeSpan.FromMilliseconds(1))
        {
            throw Error($"{shown} is shorter than 1 ms.", origin, text);
        }

        return timeout;
    }
}
