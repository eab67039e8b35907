using System.Text;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Reversible encoding of arbitrary strings (service ids, grain types, grain keys, state names) into single znode
/// names: ASCII letters, digits, '-' and '_' stay; every other UTF-8 byte becomes <c>%XX</c>; the empty string is
/// <c>%</c>. No name can contain '/', be '.' or '..', or hold a character ZooKeeper forbids, and distinct inputs
/// give distinct names.
/// </summary>
public static class ZNodeNames
{
    private const string Hex = "0123456789ABCDEF";

    /// <summary>Encodes <paramref name="value"/> as one znode name.</summary>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return "%";
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_')
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

    /// <summary>Decodes a name made by <see cref="Encode"/>; throws <see cref="FormatException"/> for anything else.</summary>
    public static string Decode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "%")
        {
            return string.Empty;
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

                bytes.Add((byte)(hi * 16 + lo));
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
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException($"'{name}' is not an encoded znode name: it decodes to invalid UTF-8.", ex);
        }
    }
}
