namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// The chroot of a connect string as a value: prefixes outgoing paths and strips incoming ones. The protocol layer
/// takes this value instead of anything from the session.
/// </summary>
internal readonly struct Chroot
{
    public Chroot(string? prefix)
    {
        Prefix = prefix == "/" ? null : prefix;
    }

    /// <summary>The chroot path (e.g. <c>/app</c>), or null for none.</summary>
    public string? Prefix { get; }

    /// <summary>Prepends the chroot to a client path.</summary>
    public string ToServerPath(string clientPath)
        => Prefix is null ? clientPath : clientPath == "/" ? Prefix : Prefix + clientPath;

    /// <summary>Strips the chroot from a server path; null when the path lies outside it.</summary>
    public string? ToClientPath(string serverPath)
    {
        var prefix = Prefix;
        if (prefix is null)
        {
            return serverPath;
        }

        if (serverPath == prefix)
        {
            return "/";
        }

        return serverPath.Length > prefix.Length && serverPath.StartsWith(prefix, StringComparison.Ordinal) && serverPath[prefix.Length] == '/'
            ? serverPath[prefix.Length..]
            : null;
    }

    /// <summary>Strips the chroot; a path outside it is a protocol error (the server must not send one).</summary>
    public string ToClientPathOrThrow(string serverPath)
        => ToClientPath(serverPath) ?? throw new ProtocolException($"the server returned path '{ZooKeeperText.Printable(serverPath)}' outside the chroot");

    /// <summary>Writes a client path as a server path (ustring) without concatenating in memory.</summary>
    public void WritePath(FrameBuffer buffer, string clientPath)
    {
        var prefix = Prefix;
        if (prefix is null)
        {
            buffer.WriteString(clientPath);
        }
        else if (clientPath == "/")
        {
            buffer.WriteString(prefix);
        }
        else
        {
            buffer.WriteConcatenated(prefix, clientPath);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Prefix ?? "/";
}
