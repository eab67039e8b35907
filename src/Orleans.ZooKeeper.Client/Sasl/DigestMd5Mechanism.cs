using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.ZooKeeper.Client.Sasl;

/// <summary>
/// The client side of SASL DIGEST-MD5 (RFC 2831) with quality of protection <c>auth</c>: the empty first token, the
/// digest-response to the server's challenge, then the check of the server's <c>rspauth</c> (mutual authentication:
/// a server that does not know the password cannot produce it).
/// </summary>
internal sealed class DigestMd5Mechanism : ISaslClientMechanism
{
    private readonly string _username;
    private readonly Func<string> _password;
    private readonly string _digestUri;
    private readonly Func<string> _cnonce;
    private string? _expectedRspAuth;
    private int _step;

    /// <param name="username">The authentication identity.</param>
    /// <param name="password">Asked once, when the challenge arrives.</param>
    /// <param name="digestUri">The server principal, <c>service/host</c>.</param>
    /// <param name="cnonce">The client nonce (fixed only in tests of the RFC's example).</param>
    public DigestMd5Mechanism(string username, Func<string> password, string digestUri, Func<string>? cnonce = null)
    {
        _username = username;
        _password = password;
        _digestUri = digestUri;
        _cnonce = cnonce ?? NewCnonce;
    }

    public string Name => ZooKeeperSaslOptions.DigestMd5;

    public bool IsComplete { get; private set; }

    public byte[] GetInitialResponse() => [];

    public byte[]? EvaluateChallenge(ReadOnlySpan<byte> challenge)
    {
        switch (_step++)
        {
            case 0:
                return Respond(challenge);
            case 1:
                CheckResponseAuth(challenge);
                IsComplete = true;
                return null;
            default:
                throw new FormatException("the server sent another DIGEST-MD5 token after the exchange was complete");
        }
    }

    public void Dispose()
    {
    }

    private byte[] Respond(ReadOnlySpan<byte> challengeBytes)
    {
        if (challengeBytes.IsEmpty)
        {
            throw new FormatException("the server answered with an empty challenge: SASL is not set up on it (no JAAS 'Server' section, or no SASLAuthenticationProvider)");
        }

        var challenge = DigestDirectives.Parse(challengeBytes);
        var nonce = DigestDirectives.Single(challenge, "nonce") ?? throw new FormatException("the server's DIGEST-MD5 challenge has no nonce");
        if (!Ascii.IsValid(nonce))
        {
            throw new FormatException("the server's DIGEST-MD5 nonce is not ASCII");
        }

        var algorithm = DigestDirectives.Single(challenge, "algorithm");
        if (!string.Equals(algorithm, "md5-sess", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException(algorithm is null
                ? "the server's DIGEST-MD5 challenge has no algorithm=md5-sess"
                : $"the server's DIGEST-MD5 challenge names algorithm '{ZooKeeperText.Printable(algorithm)}', not md5-sess");
        }

        // No qop means "auth" (RFC 2831 §2.1.1); this client offers no integrity or confidentiality layer.
        var qop = DigestDirectives.Single(challenge, "qop");
        if (qop is not null && !qop.Split(',').Any(q => q.Trim().Equals("auth", StringComparison.OrdinalIgnoreCase)))
        {
            throw new FormatException($"the server offers only the protection qop=\"{ZooKeeperText.Printable(qop)}\"; this client supports 'auth' (authentication only; use TLS for privacy)");
        }

        var charset = DigestDirectives.Single(challenge, "charset");
        var utf8 = string.Equals(charset, "utf-8", StringComparison.OrdinalIgnoreCase);
        var realm = challenge.FirstOrDefault(d => d.Key == "realm").Value ?? string.Empty;
        var cnonce = _cnonce();
        const string nc = "00000001";

        var password = _password();
        var (response, rspauth) = Compute(_username, realm, password, nonce, cnonce, nc, _digestUri, utf8);
        _expectedRspAuth = rspauth;

        var text = new StringBuilder();
        if (utf8)
        {
            text.Append("charset=utf-8,");
        }

        DigestDirectives.AppendQuoted(text, "username", _username);
        text.Append(',');
        DigestDirectives.AppendQuoted(text, "realm", realm);
        text.Append(',');
        DigestDirectives.AppendQuoted(text, "nonce", nonce);
        text.Append(",nc=").Append(nc).Append(',');
        DigestDirectives.AppendQuoted(text, "cnonce", cnonce);
        text.Append(',');
        DigestDirectives.AppendQuoted(text, "digest-uri", _digestUri);
        text.Append(",maxbuf=65536,response=").Append(response).Append(",qop=auth");
        return utf8 ? Encoding.UTF8.GetBytes(text.ToString()) : Encoding.Latin1.GetBytes(text.ToString());
    }

    private void CheckResponseAuth(ReadOnlySpan<byte> token)
    {
        var rspauth = DigestDirectives.Single(DigestDirectives.Parse(token), "rspauth")
            ?? throw new FormatException("the server's last DIGEST-MD5 token has no rspauth");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(rspauth.ToLowerInvariant()), Encoding.ASCII.GetBytes(_expectedRspAuth!)))
        {
            throw new FormatException("the server's rspauth does not match: the server does not know this user's password (is it the server it claims to be?)");
        }
    }

    /// <summary>RFC 2831 §2.1.2.1: the <c>response</c> value and the <c>rspauth</c> the server must answer with (lower-case hex).</summary>
    internal static (string Response, string RspAuth) Compute(string username, string realm, string password, string nonce, string cnonce, string nc, string digestUri, bool utf8)
    {
        // H({ username ":" realm ":" passwd }) — ISO 8859-1 when every character fits, UTF-8 otherwise (with charset=utf-8).
        var userRealmPassword = Encode(username, utf8).Concat(":"u8.ToArray()).Concat(Encode(realm, utf8)).Concat(":"u8.ToArray()).Concat(Encode(password, utf8)).ToArray();
        var inner = MD5.HashData(userRealmPassword);
        var a1 = inner.Concat(Encoding.ASCII.GetBytes(":" + nonce + ":" + cnonce)).ToArray();
        var ha1 = Hex(MD5.HashData(a1));
        string Kd(string a2)
        {
            var ha2 = Hex(MD5.HashData(Encoding.ASCII.GetBytes(a2)));
            return Hex(MD5.HashData(Encoding.ASCII.GetBytes($"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")));
        }

        return (Kd("AUTHENTICATE:" + digestUri), Kd(":" + digestUri));
    }

    private static byte[] Encode(string value, bool utf8)
        => utf8 && value.Any(c => c > '\u00ff') ? Encoding.UTF8.GetBytes(value) : Encoding.Latin1.GetBytes(value);

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);

    private static string NewCnonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
}
