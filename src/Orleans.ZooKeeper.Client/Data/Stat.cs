namespace Orleans.ZooKeeper.Client;

/// <summary>The metadata ZooKeeper keeps for a znode.</summary>
/// <param name="Czxid">The zxid of the change that created the node.</param>
/// <param name="Mzxid">The zxid of the change that last modified the node's data.</param>
/// <param name="Ctime">Creation time, milliseconds since the Unix epoch.</param>
/// <param name="Mtime">Last modification time, milliseconds since the Unix epoch.</param>
/// <param name="Version">The number of changes to the node's data.</param>
/// <param name="Cversion">The number of changes to the node's children.</param>
/// <param name="Aversion">The number of changes to the node's ACL.</param>
/// <param name="EphemeralOwner">The owning session id of an ephemeral node, else 0.</param>
/// <param name="DataLength">The length of the node's data.</param>
/// <param name="NumChildren">The number of children.</param>
/// <param name="Pzxid">The zxid of the change that last modified the node's children.</param>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid)
{
    /// <summary>Creation time as a <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeMilliseconds(Ctime);

    /// <summary>Last modification time as a <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset Modified => DateTimeOffset.FromUnixTimeMilliseconds(Mtime);

    /// <summary>True when the node is ephemeral.</summary>
    public bool IsEphemeral => EphemeralOwner != 0;
}
