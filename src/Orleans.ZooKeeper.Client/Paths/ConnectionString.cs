using System.Globalization;

namespace Orleans.ZooKeeper.Client;

/// <summary>One server of an ensemble.</summary>
/// <param name="Host">Host name or IP address (IPv6 without brackets).</param>
/// <param name="Port">TCP port.</param>
public readonly record struct ServerAddress(string Host, int Port)
{
    /// <summary>The default client port.</summary>
    public const int DefaultPort = 2181;

    /// <inheritdoc/>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>
    /// Parses one server entry of a connect string (<c>host</c>, <c>host:port</c>, <c>[ipv6]:port</c>) by the
    /// client's own grammar, so everything built on the client accepts exactly the servers the client does.
    /// </summary>
    /// <exception cref="FormatException">The entry is not a valid server; the message says why.</exception>
    public static ServerAddress Parse(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ConnectionString.ParseServer(entry);
    }
}

/// <summary>
/// A parsed connect string: <c>host1:2181,host2:2182/chroot</c>. The port defaults to 2181; IPv6 hosts are written
/// in brackets (<c>[::1]:2181</c>); the optional chroot is a ZooKeeper path every request is made relative to.
/// </summary>
internal sealed class ConnectionString
{
    private ConnectionString(IReadOnlyList<ServerAddress> servers, string? chroot)
    {
        Servers = servers;
        Chroot = chroot;
    }

    /// <summary>The servers, in the order given.</summary>
    public IReadOnlyList<ServerAddress> Servers { get; }

    /// <summary>The chroot path, or null for none.</summary>
    public string? Chroot { get; }

    /// <summary>Parses a connect string; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static ConnectionString Parse(string connectString)
    {
        ArgumentNullException.ThrowIfNull(connectString);
        if (string.IsNullOrWhiteSpace(connectString))
        {
            throw new FormatException("The ZooKeeper connect string is empty.");
        }

        string? chroot = null;
        var hostPart = connectString;
        var slash = connectString.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            hostPart = connectString[..slash];
            chroot = connectString[slash..];
            if (chroot == "/")
            {
                chroot = null;
            }
            else
            {
                var error = ZooKeeperPath.GetError(chroot);
                if (error is not null)
                {
                    throw new FormatException($"Invalid chroot '{ZooKeeperText.Printable(chroot)}' in connect string '{connectString}': {error}.");
                }
            }
        }

        var servers = new List<ServerAddress>();
        foreach (var raw in hostPart.Split(','))
        {
            servers.Add(ParseServer(raw, connectString));
        }

        return new ConnectionString(servers, chroot);
    }

    /// <summary>
    /// Parses one <c>host[:port]</c> entry; throws <see cref="FormatException"/> naming what is wrong. This is the one
    /// grammar for a server entry: host name or IPv4 address (rules in <see cref="ServerHost"/>), or an IPv6 address in
    /// brackets; optional port 1-65535 (default <see cref="ServerAddress.DefaultPort"/>); no whitespace. The container's
    /// configuration uses it too, wrapping the message with where the value came from.
    /// </summary>
    /// <param name="entry">The entry as written.</param>
    /// <param name="whole">The connect string the entry is part of, named in messages; null for an entry on its own.</param>
    public static ServerAddress ParseServer(string entry, string? whole = null)
    {
        var where = whole is null ? string.Empty : $" in connect string '{whole}'";
        if (string.IsNullOrEmpty(entry))
        {
            throw new FormatException($"Empty server entry{where}.");
        }

        var shown = ZooKeeperText.Printable(entry);
        if (entry.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"Server entry '{shown}'{where} contains whitespace.");
        }

        string host;
        string? portText = null;
        var bracketed = entry[0] == '[';
        if (bracketed)
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Server entry '{shown}'{where} has an unclosed '['.");
            }

            host = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    throw new FormatException($"Server entry '{shown}'{where}: expected ':' after ']'.");
                }

                portText = rest[1..];
            }
        }
        else
        {
            var colon = entry.LastIndexOf(':');
            if (colon >= 0 && entry.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new FormatException($"Server entry '{shown}'{where}: IPv6 addresses must be written in brackets, e.g. [::1]:2181.");
            }

            host = colon >= 0 ? entry[..colon] : entry;
            portText = colon >= 0 ? entry[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw new FormatException($"Server entry '{shown}'{where} has an empty host.");
        }

        var hostError = ServerHost.GetError(host, bracketed);
        if (hostError is not null)
        {
            throw new FormatException($"Server entry '{shown}'{where} {hostError}.");
        }

        var port = ServerAddress.DefaultPort;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535)
            {
                throw new FormatException($"Server entry '{shown}'{where} has an invalid port '{ZooKeeperText.Printable(portText)}' (expected 1-65535).");
            }
        }

        return new ServerAddress(host, port);
    }

    /// <summary>Prepends the chroot to a client path.</summary>
    internal string ToServerPath(string clientPath)
        => Chroot is null ? clientPath : clientPath == "/" ? Chroot : Chroot + clientPath;

    /// <inheritdoc/>
    public override string ToString() => string.Join(',', Servers) + (Chroot ?? string.Empty);
}
