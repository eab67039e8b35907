using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using static Orleans.ZooKeeper.ConfigurationText;
using static Orleans.ZooKeeper.ConfigurationKeys;

namespace Orleans.ZooKeeper;

/// <summary>
/// The TLS block of a container's configuration section: <c>tls</c> and the <c>tls_*</c> keys (listed in
/// <see cref="ZooKeeperTargetResolver"/>'s remarks). TLS is never switched on implicitly: a <c>tls_*</c> key without
/// <c>tls=true</c> is an error. The key password is never shown.
/// </summary>
internal static class TargetSectionTls
{
    /// <summary>The TLS settings of <paramref name="section"/>: null when TLS is off; throws on bad values or <c>tls_*</c> keys without <c>tls=true</c>.</summary>
    public static ZooKeeperTargetTls? Read(IConfigurationSection section)
    {
        var enabled = ReadBoolean(section, TlsKey, out var enabledText, out var enabledOrigin);
        var caFile = ConfigurationValue.Read(section, TlsCaFileKey, secret: false, out var caOrigin);
        var certFile = ConfigurationValue.Read(section, TlsCertFileKey, secret: false, out var certOrigin);
        var keyFile = ConfigurationValue.Read(section, TlsKeyFileKey, secret: false, out var keyOrigin);
        var keyPassword = ConfigurationValue.Read(section, TlsKeyPasswordKey, secret: true, out var passwordOrigin);
        var checkHostName = ReadBoolean(section, TlsCheckHostNameKey, out var checkText, out var checkOrigin);
        var protocolsText = ConfigurationValue.Read(section, TlsProtocolsKey, secret: false, out var protocolsOrigin);
        var protocols = protocolsText is null ? SslProtocols.None : ParseTlsProtocols(protocolsText, protocolsOrigin);

        if (enabled != true)
        {
            // The first tls_* key that is set, with the value to show (never the password).
            var (origin, isSet, shown) = new (string Origin, bool IsSet, string? Shown)[]
            {
                (caOrigin, caFile is not null, caFile),
                (certOrigin, certFile is not null, certFile),
                (keyOrigin, keyFile is not null, keyFile),
                (passwordOrigin, keyPassword is not null, null),
                (checkOrigin, checkText is not null, checkText),
                (protocolsOrigin, protocolsText is not null, protocolsText),
            }.FirstOrDefault(k => k.IsSet);
            if (isSet)
            {
                var state = enabledText is null ? "is not set" : $"is '{Printable(enabledText)}'";
                var what = shown is null ? $"The TLS setting in {origin} (value not shown)" : $"The TLS setting '{Printable(shown)}' in {origin}";
                throw Error($"{what} needs TLS, but {enabledOrigin} {state}: set {TlsKey}=true to connect with TLS (and name the servers' secure client ports), or remove the {TlsKey}_* keys.", origin, shown);
            }

            return null;
        }

        if (keyFile is not null && certFile is null)
        {
            throw Error($"The TLS key file '{Printable(keyFile)}' in {keyOrigin} has no certificate: {certOrigin} is not set (the key belongs to a client certificate).", keyOrigin, keyFile);
        }

        if (keyPassword is not null && certFile is null)
        {
            throw Error($"The TLS key password in {passwordOrigin} (value not shown) has no client certificate to unlock: {certOrigin} is not set.", passwordOrigin, null);
        }

        return new ZooKeeperTargetTls(caFile, certFile, keyFile, keyPassword, checkHostName ?? true, protocols);
    }

    private static bool? ReadBoolean(IConfigurationSection section, string key, out string? text, out string origin)
    {
        text = ConfigurationValue.Read(section, key, secret: false, out origin);
        return text?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw Error($"The value '{Printable(text)}' of {origin} is not a boolean; expected true or false (also yes/no, on/off, 1/0).", origin, text),
        };
    }

    private static SslProtocols ParseTlsProtocols(string text, string origin)
    {
        var protocols = SslProtocols.None;
        foreach (var entry in text.Split(','))
        {
            protocols |= entry.ToLowerInvariant() switch
            {
                "1.2" or "tls12" or "tls1.2" or "tlsv1.2" => SslProtocols.Tls12,
                "1.3" or "tls13" or "tls1.3" or "tlsv1.3" => SslProtocols.Tls13,
                _ => throw Error($"The TLS versions '{Printable(text)}' in {origin} name an unknown version '{Printable(entry)}'; expected 1.2 and/or 1.3, comma-separated (also Tls12, TLSv1.2, ...).", origin, text),
            };
        }

        return protocols;
    }
}
