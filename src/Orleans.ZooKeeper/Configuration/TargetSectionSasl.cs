using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;
using static Orleans.ZooKeeper.ConfigurationKeys;

namespace Orleans.ZooKeeper;

/// <summary>
/// The SASL block of a container's configuration section: <c>sasl_username</c> and <c>sasl_password</c> (both or
/// neither; they turn SASL on), <c>sasl_mechanism</c> and <c>sasl_server_principal</c> (which need a user). The
/// password is never shown.
/// </summary>
internal static class TargetSectionSasl
{
    /// <summary>The SASL settings of <paramref name="section"/>, or null when SASL is off; throws on bad or incomplete values.</summary>
    public static ZooKeeperTargetSasl? Read(IConfigurationSection section)
    {
        var (username, password) = TargetSection.ReadCredentialPair(section, SaslUsernameKey, SaslPasswordKey, "SASL", out var userOrigin);
        var mechanism = ConfigurationValue.Read(section, SaslMechanismKey, secret: false, out var mechanismOrigin);
        var principal = ConfigurationValue.Read(section, SaslServerPrincipalKey, secret: false, out var principalOrigin);
        if (username is null)
        {
            foreach (var (origin, value) in new[] { (mechanismOrigin, mechanism), (principalOrigin, principal) })
            {
                if (value is not null)
                {
                    throw Error($"The SASL setting '{Printable(value)}' in {origin} needs a SASL user, but {userOrigin} is not set: set {SaslUsernameKey} and {SaslPasswordKey}, or remove it.", origin, value);
                }
            }

            return null;
        }

        if (mechanism is not null && !string.Equals(mechanism, ZooKeeperSaslOptions.DigestMd5, StringComparison.OrdinalIgnoreCase))
        {
            throw Error($"The SASL mechanism '{Printable(mechanism)}' in {mechanismOrigin} is not supported: {ZooKeeperSaslOptions.DigestMd5} is the one built in (GSSAPI/Kerberos needs code: ZooKeeperSaslOptions.MechanismFactory).", mechanismOrigin, mechanism);
        }

        if (principal is not null && (principal.Contains('"', StringComparison.Ordinal) || !principal.Contains('/', StringComparison.Ordinal)))
        {
            throw Error($"The SASL server principal '{Printable(principal)}' in {principalOrigin} is not 'service/host' (e.g. {ZooKeeperSaslOptions.DigestMd5ServerPrincipal}).", principalOrigin, principal);
        }

        return new ZooKeeperTargetSasl(username, password!, principal);
    }
}
