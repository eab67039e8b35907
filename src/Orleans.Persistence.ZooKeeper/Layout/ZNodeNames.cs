namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Reversible encoding of arbitrary strings (service ids, grain types, grain keys, state names) into single znode
/// names — <see cref="Orleans.ZooKeeper.ZooKeeperNodeNames"/>, under the name grain storage has always published it.
/// </summary>
public static class ZNodeNames
{
    /// <summary>Encodes <paramref name="value"/> as one znode name (see <see cref="Orleans.ZooKeeper.ZooKeeperNodeNames.Encode"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate (it is not valid UTF-16).</exception>
    public static string Encode(string value) => Orleans.ZooKeeper.ZooKeeperNodeNames.Encode(value);

    /// <summary>Decodes a name made by <see cref="Encode"/> (see <see cref="Orleans.ZooKeeper.ZooKeeperNodeNames.Decode"/>).</summary>
    public static string Decode(string name) => Orleans.ZooKeeper.ZooKeeperNodeNames.Decode(name);

    /// <summary>True when <paramref name="name"/> has only the characters <see cref="Encode"/> writes.</summary>
    internal static bool IsEncoded(string name) => Orleans.ZooKeeper.ZooKeeperNodeNames.IsEncoded(name);
}
