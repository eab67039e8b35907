using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;
using static Orleans.ZooKeeper.ConfigurationKeys;

namespace Orleans.ZooKeeper;

/// <summary>
/// The SASL block of a container's configuration section: <c>sasl_username</c> and <c>sasl_password</c> (both or
/// neither; they turn SASL on), <c>sasl_mechanism</c> (DIGEST-MD5, the default, or GSSAPI, which also turns SASL on
/// and may go without a user: the default Kerberos credentials) and <c>sasl_server_principal</c>. The password is
/// never shown.
/// </summary>
internal static class TargetSectionSasl
{
    /// <summary>The SASL settings of <paramref name="section"/>, or null when SASL is off; throws on bad or incomplete values.</summary>
    public static ZooKeeperTargetSasl? Read(IConfigurationSection section)
    {
        var (username, password) = TargetSection.ReadCredentialPair(section, SaslUsernameKey, SaslPasswordKey, "SASL", out var userOrigin);
        var mechanismText = ConfigurationValue.Read(section, SaslMechanismKey, secret: false, out var mechanismOrigin);
        var principal = ConfigurationValue.Read(section, SaslServerPrincipalKey, secret: false, out var principalOrigin);
        string? mechanism = mechanismText?.ToUpperInvariant() switch
        {
            null => null,
            ZooKeeperSaslOptions.DigestMd5 => ZooKeeperSaslOptions.DigestMd5,
            ZooKeeperSaslOptions.Gssapi => ZooKeeperSaslOptions.Gssapi,
            _ => throw Error($"The SASL mechanism '{Printable(mechanismText)}' in {mechanismOrigin} is not supported: {ZooKeeperSaslOptions.DigestMd5} (the default) and {ZooKeeperSaslOptions.Gssapi} (Kerberos) are built in.", mechanismOrigin, mechanismText),
        };

        // DIGEST-MD5 needs the user (which turns SASL on); GSSAPI may use the default Kerberos credentials instead.
        if (username is null && mechanism != ZooKeeperSaslOptions.Gssapi)
        {
            foreach (var (origin, value) in new[] { (mechanismOrigin, mechanismText), (principalOrigin, principal) })
            {
                if (value is not null)
                {
                    throw Error($"The SASL setting '{Printable(value)}' in {origin} needs a SASL user, but {userOrigin} is not set: set {SaslUsernameKey} and {SaslPasswordKey} (or {SaslMechanismKey}={ZooKeeperSaslOptions.Gssapi} for Kerberos with the default credentials), or remove it.", origin, value);
                }
            }

            return null;
        }

        if (principal is not null && (principal.Contains('"', StringComparison.Ordinal) || !principal.Contains('/', StringComparison.Ordinal)))
        {
            throw Error($"The SASL server principal '{Printable(principal)}' in {principalOrigin} is not 'service/host' (e.g. {ZooKeeperSaslOptions.DigestMd5ServerPrincipal}, or zookeeper/zk1.example.com for Kerberos).", principalOrigin, principal);
        }

        return new ZooKeeperTargetSasl(mechanism ?? ZooKeeperSaslOptions.DigestMd5, username, password, principal);
    }
}
