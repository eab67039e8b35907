using System.Text;

namespace Orleans.ZooKeeper.Client.Sasl;

/// <summary>
/// The <c>name=value</c> list of a DIGEST-MD5 challenge or response-auth (RFC 2831 §7.1: comma-separated, optional
/// white space, values as tokens or quoted strings with backslash escapes). Hardened: bounded size, every malformation
/// is a <see cref="FormatException"/> that says what and where, never another exception.
/// </summary>
internal static class DigestDirectives
{
    /// <summary>RFC 2831 §2.1.1: a challenge is at most 2048 bytes.</summary>
    public const int MaxLength = 2048;

    /// <summary>Parses <paramref name="text"/>; directive names are lower-cased; repeated names keep every value, in order.</summary>
    public static List<KeyValuePair<string, string>> Parse(ReadOnlySpan<byte> text)
    {
        if (text.Length > MaxLength)
        {
            throw new FormatException($"the server's DIGEST-MD5 token is {text.Length} bytes, over the {MaxLength} RFC 2831 allows");
        }

        string s;
        try
        {
            s = new UTF8Encoding(false, true).GetString(text);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("the server's DIGEST-MD5 token is not valid UTF-8");
        }

        var result = new List<KeyValuePair<string, string>>();
        var i = 0;
        while (true)
        {
            SkipSeparators(s, ref i);
            if (i >= s.Length)
            {
                return result;
            }

            var nameStart = i;
            while (i < s.Length && IsTokenChar(s[i]))
            {
                i++;
            }

            if (i == nameStart)
            {
                throw new FormatException($"unexpected character {Describe(s[i])} at offset {i} of the server's DIGEST-MD5 token (a directive name was expected)");
            }

            var name = s[nameStart..i].ToLowerInvariant();
            SkipWhiteSpace(s, ref i);
            if (i >= s.Length || s[i] != '=')
            {
                throw new FormatException($"the directive '{name}' of the server's DIGEST-MD5 token has no '=value'");
            }

            i++;
            SkipWhiteSpace(s, ref i);
            string value;
            if (i < s.Length && s[i] == '"')
            {
                value = ReadQuoted(s, ref i, name);
            }
            else
            {
                // A token in the RFC; read leniently (up to ',' or white space), as servers put base64 in them.
                var valueStart = i;
                while (i < s.Length && s[i] > ' ' && s[i] != 0x7f && s[i] is not (',' or '"'))
                {
                    i++;
                }

                value = s[valueStart..i];
            }

            result.Add(new(name, value));
            SkipWhiteSpace(s, ref i);
            if (i < s.Length && s[i] != ',')
            {
                throw new FormatException($"unexpected character {Describe(s[i])} at offset {i} of the server's DIGEST-MD5 token, after the directive '{name}' (',' was expected)");
            }
        }
    }

    /// <summary>The value of the single directive <paramref name="name"/>, or null; a repeated one is an error.</summary>
    public static string? Single(List<KeyValuePair<string, string>> directives, string name)
    {
        string? found = null;
        foreach (var (key, value) in directives)
        {
            if (key == name)
            {
                if (found is not null)
                {
                    throw new FormatException($"the server's DIGEST-MD5 token repeats the directive '{name}'");
                }

                found = value;
            }
        }

        return found;
    }

    /// <summary>Appends <c>name="value"</c> with '"' and '\' escaped (RFC 2831 quoted-string).</summary>
    public static void AppendQuoted(StringBuilder builder, string name, string value)
    {
        builder.Append(name).Append("=\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        builder.Append('"');
    }

    private static string ReadQuoted(string s, ref int i, string name)
    {
        i++; // opening quote
        var value = new StringBuilder();
        while (i < s.Length)
        {
            var c = s[i++];
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\')
            {
                if (i >= s.Length)
                {
                    break;
                }

                c = s[i++];
            }

            value.Append(c);
        }

        throw new FormatException($"the quoted value of the directive '{name}' in the server's DIGEST-MD5 token is not closed");
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && (s[i] == ',' || IsWhiteSpace(s[i])))
        {
            i++;
        }
    }

    private static void SkipWhiteSpace(string s, ref int i)
    {
        while (i < s.Length && IsWhiteSpace(s[i]))
        {
            i++;
        }
    }

    private static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    // RFC 2616 token: any CHAR except CTLs or separators.
    private static bool IsTokenChar(char c)
        => c > ' ' && c < 0x7f && "()<>@,;:\\\"/[]?={}".IndexOf(c, StringComparison.Ordinal) < 0;

    private static string Describe(char c) => c < ' ' || c >= 0x7f ? $"U+{(int)c:X4}" : $"'{c}'";
}
