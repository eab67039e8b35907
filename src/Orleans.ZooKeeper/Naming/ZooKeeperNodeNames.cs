using System.Text;

namespace Orleans.ZooKeeper;

/// <summary>
/// Reversible encoding of arbitrary strings (service ids, grain types, grain keys, state names) into single znode
/// names: ASCII letters, digits, '-' and '_' stay; every other UTF-8 byte becomes <c>%XX</c>; the empty string is
/// <c>%</c>. No name can contain '/', be '.' or '..', or hold a character ZooKeeper forbids, and distinct inputs
/// give distinct names. Grain storage, the reminder table and the grain directory name their znodes with it, so a
/// key written by one reads back the same way in all of them and in <c>orleans-zk</c>.
/// </summary>
public static class ZooKeeperNodeNames
{
    private const string Hex = "0123456789ABCDEF";
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Encodes <paramref name="value"/> as one znode name.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate (it is not valid UTF-16).</exception>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return "%";
        }

        if (IsUnreservedOnly(value))
        {
            return value; // the common case (ids, type names, state names): nothing to escape, nothing to allocate
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException ex)
        {
            // Plain UTF-8 would turn every lone surrogate into U+FFFD, so distinct strings would share one name.
            throw new ArgumentException($"The string contains a lone surrogate (at index {ex.Index}) and is not valid UTF-16; it has no znode name.", nameof(value), ex);
        }

        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (IsUnreserved(b))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Decodes a name made by <see cref="Encode"/>; throws <see cref="FormatException"/> for anything else (including
    /// non-canonical forms such as an escaped letter), so every accepted name is the encoding of exactly one string.
    /// </summary>
    public static string Decode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "%")
        {
            return string.Empty;
        }

        if (name.Length == 0)
        {
            throw new FormatException("'' is not an encoded znode name: the empty string is encoded as '%'.");
        }

        var bytes = new List<byte>(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '%')
            {
                if (i + 2 >= name.Length)
                {
                    throw new FormatException($"'{name}' is not an encoded znode name: '%' at {i} is not followed by two hex digits.");
                }

                var hi = Hex.IndexOf(name[i + 1], StringComparison.Ordinal);
                var lo = Hex.IndexOf(name[i + 2], StringComparison.Ordinal);
                if (hi < 0 || lo < 0)
                {
                    throw new FormatException($"'{name}' is not an encoded znode name: '%' at {i} is not followed by two upper-case hex digits.");
                }

                var b = (byte)(hi * 16 + lo);
                if (IsUnreserved(b))
                {
                    // Encode never escapes these: accepting them would give one string two names.
                    throw new FormatException($"'{name}' is not an encoded znode name: '%{name[i + 1]}{name[i + 2]}' at {i} escapes '{(char)b}', which is never escaped.");
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_')
            {
                bytes.Add((byte)c);
            }
            else
            {
                throw new FormatException($"'{name}' is not an encoded znode name: '{c}' at {i} should have been escaped.");
            }
        }

        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException($"'{name}' is not an encoded znode name: it decodes to invalid UTF-8.", ex);
        }
    }

    /// <summary>True when <paramref name="name"/> has only the characters <see cref="Encode"/> writes (a cheap test, not a full <see cref="Decode"/>).</summary>
    public static bool IsEncoded(string name)
        => name.Length > 0 && name.All(c => c == '%' || (c <= 0x7f && IsUnreserved((byte)c)));

    private static bool IsUnreservedOnly(string value)
    {
        foreach (var c in value)
        {
            if (c > 0x7f || !IsUnreserved((byte)c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUnreserved(byte b)
        => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_';
}
