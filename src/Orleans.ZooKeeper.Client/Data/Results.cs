namespace Orleans.ZooKeeper.Client;

/// <summary>A node's data and metadata.</summary>
/// <param name="Data">The data (empty when the node holds none).</param>
/// <param name="Stat">The metadata.</param>
public readonly record struct DataResult(byte[] Data, Stat Stat);

/// <summary>The result of a create.</summary>
/// <param name="Path">The created path (with the sequence suffix for sequential nodes), relative to the chroot.</param>
/// <param name="Stat">The new node's metadata.</param>
public readonly record struct CreateResult(string Path, Stat Stat);

/// <summary>A node's children and its metadata.</summary>
/// <param name="Children">Child names (not full paths), in server order.</param>
/// <param name="Stat">The parent's metadata.</param>
public readonly record struct ChildrenResult(IReadOnlyList<string> Children, Stat Stat);

/// <summary>A node's ACL and metadata.</summary>
/// <param name="Acl">The ACL entries.</param>
/// <param name="Stat">The metadata.</param>
public readonly record struct AclResult(IReadOnlyList<Acl> Acl, Stat Stat);

/// <summary>One identity the server associates with this session (whoAmI).</summary>
/// <param name="AuthScheme">The scheme, e.g. ip, digest, x509.</param>
/// <param name="User">The identity.</param>
public readonly record struct ClientInfo(string AuthScheme, string User)
{
    /// <summary><c>scheme: identity</c>, as zkCli's <c>whoami</c> prints it (e.g. <c>sasl: alice</c>).</summary>
    public override string ToString() => AuthScheme + ": " + User;
}
