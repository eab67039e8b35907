using System.Text;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// The resolved, immutable answer to "which ensemble, which path, which credentials" for one container, produced by
/// <see cref="ZooKeeperTargetResolver.Resolve"/>. Every part records where it came from. The digest password is kept
/// private: it appears neither in <see cref="ToString"/> nor in any exception message.
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
        string? digestPassword)
    {
        Servers = servers.ToArray().AsReadOnly();
        ServersSource = serversSource;
        Path = path;
        PathSource = pathSource;
        SessionTimeout = sessionTimeout;
        DigestUser = digestUser;
        _digestPassword = digestPassword;
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

    /// <summary>The digest user name, or null when no credentials are configured.</summary>
    public string? DigestUser { get; }

    /// <summary>The digest password (null when <see cref="DigestUser"/> is null). Never printed.</summary>
    internal string? DigestPassword => _digestPassword;

    /// <summary>The servers joined with ',' (<c>h1:2181,h2:2181</c>, IPv6 in brackets), without a chroot.</summary>
    public string ConnectString => string.Join(',', Servers);

    /// <summary>
    /// New client options with <see cref="ConnectString"/>, <see cref="SessionTimeout"/> and, when configured, the
    /// digest credentials; every other option keeps its default.
    /// </summary>
    public ZooKeeperClientOptions ToClientOptions()
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectString = ConnectString,
            SessionTimeout = SessionTimeout,
        };
        if (DigestUser is not null && _digestPassword is not null)
        {
            options.AddDigest(DigestUser, _digestPassword);
        }

        return options;
    }

    /// <summary>
    /// <c>zookeeper://h1:2181,h2:2181/path</c>, followed by the digest user name when credentials are configured.
    /// Never contains the password.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder("zookeeper://").Append(ConnectString).Append(Path);
        if (DigestUser is not null)
        {
            sb.Append(" (digest user '").Append(DigestUser).Append("')");
        }

        return sb.ToString();
    }

    /// <summary>Value equality: same servers in the same order, path, sources, timeout and credentials.</summary>
    public bool Equals(ZooKeeperTarget? other)
        => other is not null
        && Servers.SequenceEqual(other.Servers)
        && string.Equals(ServersSource, other.ServersSource, StringComparison.Ordinal)
        && string.Equals(Path, other.Path, StringComparison.Ordinal)
        && string.Equals(PathSource, other.PathSource, StringComparison.Ordinal)
        && SessionTimeout == other.SessionTimeout
        && string.Equals(DigestUser, other.DigestUser, StringComparison.Ordinal)
        && string.Equals(_digestPassword, other._digestPassword, StringComparison.Ordinal);

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
        hash.Add(DigestUser, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}
