using System.Buffers;
using System.Net;
using System.Net.Security;

namespace Orleans.ZooKeeper.Client.Sasl;

/// <summary>
/// The client side of SASL GSSAPI (Kerberos V5, RFC 4752) on the platform's GSS-API (MIT Kerberos on Linux, through
/// <see cref="NegotiateAuthentication"/>): the Kerberos context (AP-REQ, mutual authentication), then the security-layer
/// message — the server's wrapped offer is answered with "no security layer" (integrity-protected, not encrypted; use
/// TLS for privacy). Credentials: the user and password when both are configured, else the default ones (the ticket
/// cache, or the client keytab in <c>KRB5_CLIENT_KTNAME</c>); realm and KDCs from the Kerberos configuration
/// (<c>/etc/krb5.conf</c> or <c>KRB5_CONFIG</c>).
/// </summary>
internal sealed class GssapiMechanism : ISaslClientMechanism
{
    private const byte NoSecurityLayer = 1;

    private readonly NegotiateAuthentication _context;
    private readonly string _servicePrincipal;
    private readonly string? _explicitUser;
    private bool _layerNegotiation;

    /// <param name="servicePrincipal">The server's principal, <c>service/host</c> (e.g. <c>zookeeper/zk1.example.com</c>).</param>
    /// <param name="username">With <paramref name="password"/>: the client principal to get a ticket for; null: default credentials.</param>
    /// <param name="password">The principal's password, or null.</param>
    public GssapiMechanism(string servicePrincipal, string? username, string? password)
    {
        _servicePrincipal = servicePrincipal;
        _explicitUser = username is not null && password is not null ? username : null;
        _context = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "Kerberos",
            TargetName = servicePrincipal,
            RequireMutualAuthentication = true,
            RequiredProtectionLevel = ProtectionLevel.None,
            Credential = username is not null && password is not null ? new NetworkCredential(username, password) : CredentialCache.DefaultNetworkCredentials,
        });
    }

    public string Name => ZooKeeperSaslOptions.Gssapi;

    public bool IsComplete { get; private set; }

    public byte[] GetInitialResponse() => Step(ReadOnlySpan<byte>.Empty);

    public byte[]? EvaluateChallenge(ReadOnlySpan<byte> challenge)
    {
        if (!_layerNegotiation)
        {
            return Step(challenge);
        }

        // RFC 4752 §3.1: the server's wrapped [layers offered][max buffer, 3 bytes]; answer "no security layer".
        var offer = new ArrayBufferWriter<byte>(8);
        var status = _context.Unwrap(challenge, offer, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed || offer.WrittenCount != 4)
        {
            throw new FormatException($"the server's GSSAPI security-layer message could not be read ({status}, {offer.WrittenCount} bytes)");
        }

        if ((offer.WrittenSpan[0] & NoSecurityLayer) == 0)
        {
            throw new FormatException("the server requires a GSSAPI integrity or privacy layer; this client offers none (use TLS for privacy)");
        }

        var answer = new ArrayBufferWriter<byte>(64);
        status = _context.Wrap([NoSecurityLayer, 0, 0, 0], answer, requestEncryption: false, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new FormatException($"the GSSAPI security-layer answer could not be wrapped ({status})");
        }

        IsComplete = true;
        return answer.WrittenSpan.ToArray();
    }

    public void Dispose() => _context.Dispose();

    /// <summary>One step of the Kerberos context; once it is established, an empty token asks for the layer offer.</summary>
    private byte[] Step(ReadOnlySpan<byte> incoming)
    {
        var outgoing = _context.GetOutgoingBlob(incoming, out var status);
        switch (status)
        {
            case NegotiateAuthenticationStatusCode.ContinueNeeded:
                return outgoing ?? [];
            case NegotiateAuthenticationStatusCode.Completed:
                _layerNegotiation = true;
                return outgoing ?? [];
            default:
                throw new FormatException(Describe(status));
        }
    }

    private string Describe(NegotiateAuthenticationStatusCode status) => status switch
    {
        NegotiateAuthenticationStatusCode.UnknownCredentials when _explicitUser is not null
            => $"Kerberos could not get a ticket for '{ZooKeeperText.Printable(_explicitUser)}' with the configured password (wrong password, or a principal the KDC does not know)",
        NegotiateAuthenticationStatusCode.UnknownCredentials => "Kerberos has no usable credentials (no ticket: kinit, or a keytab in KRB5_CLIENT_KTNAME, or set the user and password)",
        NegotiateAuthenticationStatusCode.CredentialsExpired => "the Kerberos credentials have expired (kinit again)",
        NegotiateAuthenticationStatusCode.TargetUnknown => "Kerberos does not know the server principal (check ServerPrincipal / sasl_server_principal and the realm mapping in krb5.conf)",
        NegotiateAuthenticationStatusCode.BadBinding or NegotiateAuthenticationStatusCode.MessageAltered or NegotiateAuthenticationStatusCode.InvalidToken
            => $"the server's Kerberos token was refused ({status})",
        _ => $"the Kerberos exchange for the server principal '{ZooKeeperText.Printable(_servicePrincipal)}' failed ({status}: often a principal the KDC does not know, or no reachable KDC; KRB5_TRACE=/dev/stderr shows why)",
    };
}
