using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Client;

/// <summary>
/// The host rules of a server entry, checked by <see cref="ConnectionString.ParseServer"/> (the one grammar for a
/// server entry, used by the client's connect string and by the container's configuration alike). A host passes only
/// when the client can connect to it as written.
/// </summary>
/// <remarks>
/// <para><b>In brackets</b>: an IPv6 address, optionally with a zone (<c>[fe80::1%eth0]</c>). Brackets are for IPv6
/// only.</para>
/// <para><b>Only digits and dots</b> (at least one digit): an IPv4 address, four decimal numbers 0-255 without
/// leading zeros. Other forms are refused because the connector would read them as an address other than the one a
/// reader sees: <c>10.1</c> is 10.0.0.1, <c>0</c> is 0.0.0.0, <c>010.0.0.1</c> is 8.0.0.1 (a leading zero means
/// octal).</para>
/// <para><b>Otherwise a host name</b>: at most 253 characters in labels of 1 to 63 ASCII letters, digits, '-' and
/// '_', no label starting or ending with '-'. No trailing dot: <c>/etc/hosts</c> lookups do not match <c>zk.</c>,
/// ZooKeeper's (Java) TLS server refuses a server name (SNI) ending in '.', and <c>zk.</c> would be a second
/// spelling of <c>zk</c>. Not a hexadecimal IPv4 form such as <c>0x7f.1</c>, which the connector reads as an address.
/// '_' is accepted because such names resolve in container networks (<c>project_zookeeper_1</c>); ZooKeeper's TLS
/// server refuses them as server names too, so TLS connections need a name without '_' (or an address).</para>
/// </remarks>
internal static class ServerHost
{
    /// <summary>The longest host name DNS can carry, in characters.</summary>
    public const int MaxNameLength = 253;

    /// <summary>The longest label of a host name, in characters.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// Null when <paramref name="host"/> is acceptable; else what is wrong, as the rest of a sentence that starts with
    /// the entry (<c>has the host name 'zk.' ending in '.'; ...</c>, without a final period).
    /// </summary>
    /// <param name="host">The host as written, without brackets and port; not empty.</param>
    /// <param name="bracketed">True when the entry wrote the host in brackets.</param>
    public static string? GetError(string host, bool bracketed)
        => bracketed ? GetIPv6Error(host) : IsNumeric(host) ? GetIPv4Error(host) : GetNameError(host);

    /// <summary>Digits and dots only, with at least one digit: meant as an IPv4 address.</summary>
    private static bool IsNumeric(string host) => host.Any(char.IsAsciiDigit) && host.All(c => char.IsAsciiDigit(c) || c == '.');

    private static string? GetIPv6Error(string host)
    {
        var percent = host.IndexOf('%', StringComparison.Ordinal);
        var address = percent < 0 ? host : host[..percent];
        if (!address.Contains(':', StringComparison.Ordinal)
            || !IPAddress.TryParse(address, out var ip)
            || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return $"has '{Show(host)}' in brackets, which is not an IPv6 address (brackets are only for IPv6)";
        }

        if (percent >= 0)
        {
            var zone = host[(percent + 1)..];
            if (zone.Length == 0 || zone.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
            {
                return $"has an invalid IPv6 zone '{Show(zone)}' (an interface name or number: ASCII letters, digits, '.', '-' and '_')";
            }
        }

        return null;
    }

    private static string? GetIPv4Error(string host)
    {
        var octets = host.Split('.');
        if (octets.Length != 4
            || octets.Any(o => o.Length == 0 || o.Length > 3 || (o.Length > 1 && o[0] == '0') || int.Parse(o, CultureInfo.InvariantCulture) > 255))
        {
            return $"has the host '{Show(host)}', which is not a valid IPv4 address (four numbers 0-255 without leading zeros)";
        }

        return null;
    }

    private static string? GetNameError(string host)
    {
        var bad = host.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
        if (bad != default)
        {
            return $"has an invalid host name '{Show(host)}': '{Show(bad.ToString())}' is not allowed (host names are ASCII letters, digits, '-', '_' and '.')";
        }

        if (host.Length > MaxNameLength)
        {
            return $"has a host name of {host.Length} characters; at most {MaxNameLength} are allowed";
        }

        if (host.Length > 1 && host[^1] == '.')
        {
            return $"has the host name '{Show(host)}' ending in '.'; write it without the trailing dot (/etc/hosts lookups do not match it and ZooKeeper's TLS server refuses it)";
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length == 0)
            {
                return $"has the host name '{Show(host)}' with an empty label (check for '..' or a '.' at either end)";
            }

            if (label.Length > MaxLabelLength)
            {
                return $"has the host name '{Show(host)}' with a label longer than {MaxLabelLength} characters";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"has the host name '{Show(host)}' with a label that starts or ends with '-'";
            }
        }

        if (IPAddress.TryParse(host, out var read))
        {
            return $"has the host name '{Show(host)}', which would be read as the IPv4 address {read}; write an address as four decimal numbers";
        }

        return null;
    }

    private static string Show(string s) => ZooKeeperText.Printable(s);
}
