using System.Security.Cryptography;
using System.Text;

namespace Orleans.ZooKeeper.Client;

/// <summary>Permissions an ACL entry grants.</summary>
[Flags]
public enum Permissions
{
    /// <summary>No permission.</summary>
    None = 0,

    /// <summary>Read data and list children.</summary>
    Read = 1,

    /// <summary>Set data.</summary>
    Write = 2,

    /// <summary>Create children.</summary>
    Create = 4,

    /// <summary>Delete children.</summary>
    Delete = 8,

    /// <summary>Set the ACL.</summary>
    Admin = 16,

    /// <summary>Every permission.</summary>
    All = Read | Write | Create | Delete | Admin,
}

/// <summary>An identity in an authentication scheme, e.g. <c>world:anyone</c> or <c>digest:user:hash</c>.</summary>
/// <param name="Scheme">The scheme: world, auth, digest, ip, x509, sasl.</param>
/// <param name="Id">The identity within the scheme.</param>
public readonly record struct ZooKeeperId(string Scheme, string Id)
{
    /// <summary><c>world:anyone</c>.</summary>
    public static ZooKeeperId Anyone { get; } = new("world", "anyone");

    /// <summary><c>auth:</c> — whatever identities the creating session has authenticated as.</summary>
    public static ZooKeeperId AuthenticatedSession { get; } = new("auth", string.Empty);

    /// <summary>
    /// The stored digest identity for <paramref name="user"/> and <paramref name="password"/>:
    /// <c>user:</c> + Base64(SHA1("user:password")). The password itself is not kept.
    /// </summary>
    public static ZooKeeperId Digest(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A digest user name must not contain ':'.", nameof(user));
        }

        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password));
        return new ZooKeeperId("digest", user + ":" + Convert.ToBase64String(hash));
    }

    /// <summary>
    /// The SASL identity <c>sasl:</c><paramref name="user"/>: a session that authenticated with SASL as that user
    /// (<see cref="ZooKeeperSaslOptions"/>). The server compares the name as it is, case included.
    /// </summary>
    public static ZooKeeperId Sasl(string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        return new ZooKeeperId("sasl", user);
    }

    /// <inheritdoc/>
    public override string ToString() => Scheme + ":" + Id;
}

/// <summary>One entry of a znode's access control list.</summary>
/// <param name="Permissions">What the identity may do.</param>
/// <param name="Id">Who.</param>
public readonly record struct Acl(Permissions Permissions, ZooKeeperId Id)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Id}={Permissions}";
}

/// <summary>Ready-made ACL lists.</summary>
public static class Acls
{
    /// <summary>Anyone may do anything (<c>world:anyone</c>, all permissions).</summary>
    public static IReadOnlyList<Acl> OpenUnsafe { get; } = [new Acl(Permissions.All, ZooKeeperId.Anyone)];

    /// <summary>Anyone may read.</summary>
    public static IReadOnlyList<Acl> ReadUnsafe { get; } = [new Acl(Permissions.Read, ZooKeeperId.Anyone)];

    /// <summary>All permissions for the identities the creating session has authenticated as (<c>auth:</c>).</summary>
    public static IReadOnlyList<Acl> CreatorAll { get; } = [new Acl(Permissions.All, ZooKeeperId.AuthenticatedSession)];

    /// <summary>All permissions for one digest user, nothing for anyone else.</summary>
    public static IReadOnlyList<Acl> DigestOnly(string user, string password, Permissions permissions = Permissions.All)
        => [new Acl(permissions, ZooKeeperId.Digest(user, password))];

    /// <summary><paramref name="permissions"/> (default all) for one SASL user (<c>sasl:user</c>), nothing for anyone else.</summary>
    public static IReadOnlyList<Acl> Sasl(string user, Permissions permissions = Permissions.All)
        => [new Acl(permissions, ZooKeeperId.Sasl(user))];
}
