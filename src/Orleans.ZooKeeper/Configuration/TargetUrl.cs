using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// A container URL taken apart (the URL forms are listed in <see cref="ZooKeeperTargetResolver"/>'s remarks):
/// <c>zookeeper://servers/abs/path</c>, <c>zookeeper://servers</c>, <c>zookeeper:///abs/path</c> or
/// <c>zookeeper:./rel/path</c>. Every part is valid; what the URL leaves out is null.
/// </summary>
/// <param name="Origin"><c>URL '…'</c> with any user information redacted, for messages and sources.</param>
/// <param name="Servers">The servers of the authority, or null.</param>
/// <param name="AbsolutePath">The absolute path, or null.</param>
/// <param name="RelativePath">The relative path without its <c>./</c>, or null.</param>
internal sealed record TargetUrl(string Origin, IReadOnlyList<ServerAddress>? Servers, string? AbsolutePath, string? RelativePath)
{
    /// <summary>Parses <paramref name="url"/>; throws <see cref="ZooKeeperConfigurationException"/> naming the URL and what is wrong.</summary>
    public static TargetUrl Parse(string url)
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
        if (!scheme.Equals(ConfigurationKeys.Scheme, StringComparison.OrdinalIgnoreCase))
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
            return ParseAuthorityForm(rest, origin, safe);
        }

        if (rest.StartsWith("./", StringComparison.Ordinal))
        {
            return ParseRelativeForm(rest, origin);
        }

        if (rest[0] == '/')
        {
            throw Error($"The ZooKeeper {origin} has an absolute path '{Printable(rest)}' without '//'; write zookeeper://{Printable(rest)} (servers from configuration) or zookeeper://host:2181{Printable(rest)}.", origin, rest);
        }

        throw Error($"The ZooKeeper {origin} has a relative path '{Printable(rest)}' without './'; relative paths must start with './' (zookeeper:./{Printable(rest)}), absolute ones with '///' (zookeeper:///{Printable(rest)}).", origin, rest);
    }

    /// <summary><c>//servers/abs/path</c>, <c>//servers</c> or <c>///abs/path</c> (the part after the scheme).</summary>
    private static TargetUrl ParseAuthorityForm(string rest, string origin, string safe)
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

        var servers = authority.Length == 0 ? null : ServerListValue.Parse(authority, origin);
        string? path = null;
        if (pathPart.Length > 0)
        {
            CheckLiteral(pathPart, origin);
            var error = ZooKeeperPath.GetError(pathPart);
            if (error is not null)
            {
                throw Error($"Invalid path '{Printable(pathPart)}' in {origin}: {error}.", origin, pathPart);
            }

            ConfigurationKeys.CheckNotReserved(pathPart, origin, pathPart);
            path = pathPart;
        }

        return new TargetUrl(origin, servers, path, null);
    }

    /// <summary><c>./rel/path</c> (the part after the scheme): a path below the section's or the default path.</summary>
    private static TargetUrl ParseRelativeForm(string rest, string origin)
    {
        var relative = rest[2..];
        if (relative.Length == 0)
        {
            throw Error($"The ZooKeeper {origin} has an empty relative path './'; write zookeeper:./name, or pass null to use the configured path.", origin, rest);
        }

        CheckLiteral(relative, origin);
        var asPath = "/" + relative;
        var error = ZooKeeperPath.GetError(asPath);
        if (error is not null)
        {
            var hint = relative.Split('/').Contains("..") ? " (a relative path must stay below its base path)" : string.Empty;
            throw Error($"Invalid relative path '{Printable(rest)}' in {origin}: as a path below its base, '{Printable(asPath)}' is invalid: {error}{hint}.", origin, rest);
        }

        return new TargetUrl(origin, null, null, relative);
    }

    /// <summary>URL paths are taken literally: '%' would be ambiguous (percent-encoding or a literal '%').</summary>
    private static void CheckLiteral(string path, string origin)
    {
        var percent = path.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0)
        {
            throw Error($"The path '{Printable(path)}' in {origin} contains '%' (index {percent}); URL paths are taken literally and percent-encoding is not supported; put such paths in the configuration key 'path'.", origin, path);
        }
    }

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
}
