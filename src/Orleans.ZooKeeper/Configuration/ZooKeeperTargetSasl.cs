using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// The SASL part of a <see cref="ZooKeeperTarget"/> (section keys <c>sasl_*</c>, see <see cref="ZooKeeperTargetResolver"/>):
/// DIGEST-MD5 or GSSAPI (Kerberos) as <see cref="Username"/>. The password is kept private: it appears neither in <see cref="ToString"/>
/// nor in any exception message.
/// </summary>
public sealed record ZooKeeperTargetSasl
{
    private readonly string? _password;

    internal ZooKeeperTargetSasl(string mechanism, string? username, string? password, string? serverPrincipal)
    {
        Mechanism = mechanism;
        Username = username;
        _password = password;
        ServerPrincipal = serverPrincipal;
    }

    /// <summary>The mechanism (<c>sasl_mechanism</c>): <see cref="ZooKeeperSaslOptions.DigestMd5"/> or <see cref="ZooKeeperSaslOptions.Gssapi"/>.</summary>
    public string Mechanism { get; }

    /// <summary>
    /// The SASL user (<c>sasl_username</c>); the session's identity is then <c>sasl:</c> this name (for Kerberos the
    /// full principal, <c>name@REALM</c>). Null only for GSSAPI with the default Kerberos credentials.
    /// </summary>
    public string? Username { get; }

    /// <summary>The server principal (<c>sasl_server_principal</c>), or null for the mechanism's default.</summary>
    public string? ServerPrincipal { get; }

    /// <summary>Sets <see cref="ZooKeeperClientOptions.Sasl"/> from these settings.</summary>
    internal void ApplyTo(ZooKeeperClientOptions options) => options.UseSasl(s =>
    {
        s.Mechanism = Mechanism;
        s.Username = Username;
        s.Password = _password;
        s.ServerPrincipal = ServerPrincipal;
    });

    /// <summary><c>SASL DIGEST-MD5 as 'alice'</c> (and a non-default principal). Never contains the password.</summary>
    public override string ToString()
        => $"SASL {Mechanism}" + (Username is null ? " with the default credentials" : $" as '{Username}'") + (ServerPrincipal is null ? string.Empty : $", server principal '{ServerPrincipal}'");

    /// <summary>Value equality over every setting, the password included.</summary>
    public bool Equals(ZooKeeperTargetSasl? other)
        => other is not null
        && string.Equals(Mechanism, other.Mechanism, StringComparison.Ordinal)
        && string.Equals(Username, other.Username, StringComparison.Ordinal)
        && string.Equals(_password, other._password, StringComparison.Ordinal)
        && string.Equals(ServerPrincipal, other.ServerPrincipal, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Mechanism, Username, ServerPrincipal);
}
