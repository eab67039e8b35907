namespace Orleans.ZooKeeper.Client;

/// <summary>
/// SASL authentication, run on every connection right after the session handshake and before anything else is sent
/// (then the <see cref="ZooKeeperClientOptions.Auth"/> replay, watch re-registration and the queued requests, in that
/// order). The session's identity is then <c>sasl:</c><see cref="Username"/> (see <see cref="ZooKeeperClient.WhoAmIAsync"/>),
/// which <see cref="Acls.Sasl"/> ACLs name. A refusal (wrong password, unknown user, a server without SASL, a
/// mechanism the server does not speak) ends the client: state LOST with <see cref="KeeperState.AuthFailed"/>, calls
/// fail with <see cref="AuthFailedException"/> naming the server, the mechanism and the cause; nothing is retried.
/// <see cref="ToString"/> never shows the password.
/// </summary>
public sealed class ZooKeeperSaslOptions
{
    /// <summary>The DIGEST-MD5 mechanism (RFC 2831), what ZooKeeper's <c>DigestLoginModule</c> user lists serve.</summary>
    public const string DigestMd5 = "DIGEST-MD5";

    /// <summary>
    /// The GSSAPI mechanism (Kerberos V5, RFC 4752) on the platform's GSS-API (MIT Kerberos on Linux): credentials from
    /// <see cref="Username"/> and <see cref="Password"/> when both are set, else the default ones (ticket cache, or the
    /// client keytab in <c>KRB5_CLIENT_KTNAME</c>); realm and KDCs from <c>/etc/krb5.conf</c> or <c>KRB5_CONFIG</c>.
    /// </summary>
    public const string Gssapi = "GSSAPI";

    /// <summary>
    /// The service principal (<c>digest-uri</c>) a ZooKeeper server expects with DIGEST-MD5: <c>zookeeper/zk-sasl-md5</c>,
    /// fixed in the server (as in the Java client), whatever the host name.
    /// </summary>
    public const string DigestMd5ServerPrincipal = "zookeeper/zk-sasl-md5";

    /// <summary>
    /// The mechanism: <see cref="DigestMd5"/> (the default) or <see cref="Gssapi"/> (Kerberos). Others come from
    /// <see cref="MechanismFactory"/>.
    /// </summary>
    public string Mechanism { get; set; } = DigestMd5;

    /// <summary>
    /// The user to authenticate as: for DIGEST-MD5 the JAAS <c>user_&lt;name&gt;</c> entry of the servers (required);
    /// for GSSAPI the Kerberos principal (<c>alice</c> or <c>alice@REALM</c>), used with <see cref="Password"/>, or
    /// null for the default credentials.
    /// </summary>
    public string? Username { get; set; }

    /// <summary>The password. Never logged or shown. <see cref="PasswordProvider"/> wins when both are set.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Called for the password on every connection (a rotated secret is picked up at the next reconnect); it runs on
    /// the client's connect thread, so it must not block for long. An exception it throws fails authentication.
    /// </summary>
    public Func<string>? PasswordProvider { get; set; }

    /// <summary>
    /// The server's principal, <c>service/host</c>. Null (the default): <see cref="DigestMd5ServerPrincipal"/> for
    /// DIGEST-MD5; <c>zookeeper/&lt;host&gt;</c> (the host of the server being connected to, as the connect string
    /// names it) for GSSAPI and mechanisms from <see cref="MechanismFactory"/>, as the Java client's default.
    /// </summary>
    public string? ServerPrincipal { get; set; }

    /// <summary>
    /// Creates the mechanism for one connection attempt (a fresh one every time), instead of the built-in DIGEST-MD5:
    /// the seam for GSSAPI (Kerberos) or any other SASL mechanism a server speaks. Null: DIGEST-MD5.
    /// </summary>
    public Func<SaslMechanismContext, ISaslClientMechanism>? MechanismFactory { get; set; }

    /// <summary><c>SASL DIGEST-MD5 as 'alice'</c> — never the password.</summary>
    public override string ToString()
        => $"SASL {(MechanismFactory is null ? Mechanism : "custom mechanism")}" + (Username is null ? (IsDigest ? string.Empty : " with the default credentials") : $" as '{ZooKeeperText.Printable(Username)}'");

    internal ZooKeeperSaslOptions Clone() => (ZooKeeperSaslOptions)MemberwiseClone();

    /// <summary>The principal for a connection to <paramref name="server"/>.</summary>
    internal string PrincipalFor(ServerAddress server)
        => ServerPrincipal ?? (MechanismFactory is null && IsDigest ? DigestMd5ServerPrincipal : "zookeeper/" + server.Host);

    /// <summary>True for the built-in DIGEST-MD5 (the default).</summary>
    internal bool IsDigest => string.Equals(Mechanism, DigestMd5, StringComparison.OrdinalIgnoreCase);

    /// <summary>The password when one is configured (GSSAPI may go without).</summary>
    internal string? ResolveOptionalPassword() => Password is null && PasswordProvider is null ? null : ResolvePassword();

    /// <summary>The password now (the provider's answer, else <see cref="Password"/>).</summary>
    internal string ResolvePassword()
    {
        if (PasswordProvider is { } provider)
        {
            return provider() ?? throw new InvalidOperationException("ZooKeeperSaslOptions.PasswordProvider returned null");
        }

        return Password ?? throw new InvalidOperationException("no password: set ZooKeeperSaslOptions.Password or PasswordProvider");
    }

    internal void Validate()
    {
        if (MechanismFactory is not null)
        {
            return;
        }

        if (string.Equals(Mechanism, Gssapi, StringComparison.OrdinalIgnoreCase))
        {
            if (Username is null && (Password is not null || PasswordProvider is not null))
            {
                throw new ArgumentException($"SASL {Gssapi} has a password but no user: set ZooKeeperSaslOptions.Username to the Kerberos principal, or neither for the default credentials.", nameof(Username));
            }
        }
        else if (!IsDigest)
        {
            throw new ArgumentException(
                $"The SASL mechanism '{ZooKeeperText.Printable(Mechanism ?? "(null)")}' is not built in: {DigestMd5} and {Gssapi} are. For another mechanism set ZooKeeperSaslOptions.MechanismFactory.",
                nameof(Mechanism));
        }
        else
        {
            if (string.IsNullOrEmpty(Username))
            {
                throw new ArgumentException($"SASL {DigestMd5} needs a user name: set ZooKeeperSaslOptions.Username.", nameof(Username));
            }

            if (Password is null && PasswordProvider is null)
            {
                throw new ArgumentException($"SASL {DigestMd5} for user '{ZooKeeperText.Printable(Username)}' needs a password: set ZooKeeperSaslOptions.Password or PasswordProvider.", nameof(Password));
            }
        }

        if (ServerPrincipal is { } principal && (principal.Length == 0 || principal.Contains('"', StringComparison.Ordinal) || principal.Any(char.IsControl)))
        {
            throw new ArgumentException($"The SASL server principal '{ZooKeeperText.Printable(principal)}' is not usable: expected 'service/host' without quotes or control characters.", nameof(ServerPrincipal));
        }
    }
}

/// <summary>What a <see cref="ZooKeeperSaslOptions.MechanismFactory"/> is told about the connection being authenticated.</summary>
/// <param name="Server">The server this connection goes to.</param>
/// <param name="ServerPrincipal">The server's principal (<see cref="ZooKeeperSaslOptions.ServerPrincipal"/> or its default).</param>
/// <param name="Username">The configured user name, or null.</param>
public sealed record SaslMechanismContext(ServerAddress Server, string ServerPrincipal, string? Username);

/// <summary>
/// One client side of a SASL exchange (a fresh instance per connection attempt). The client sends
/// <see cref="GetInitialResponse"/> (an empty token when the mechanism has none), then gives every server token to
/// <see cref="EvaluateChallenge"/> and sends what it returns, until the mechanism is complete and has nothing more to
/// send. Any exception it throws fails the authentication with that exception's message.
/// </summary>
public interface ISaslClientMechanism : IDisposable
{
    /// <summary>The mechanism's name, e.g. <c>GSSAPI</c> (named in errors and logs).</summary>
    string Name { get; }

    /// <summary>True once the mechanism has verified the server's last token; the exchange then ends.</summary>
    bool IsComplete { get; }

    /// <summary>The first token to send (empty when the mechanism starts with the server's challenge).</summary>
    byte[] GetInitialResponse();

    /// <summary>The answer to a server token, or null when there is nothing more to send.</summary>
    byte[]? EvaluateChallenge(ReadOnlySpan<byte> challenge);
}
