using System.Text;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>Which serializer wrote a stored state.</summary>
internal enum StateFormat
{
    /// <summary>The provider's JSON serializer (<c>ZooKeeperJsonGrainStorageSerializer</c>).</summary>
    Json,

    /// <summary>The silo's grain storage serializer, for Orleans' own state types (stream pub/sub, transactions).</summary>
    Orleans,

    /// <summary>A serializer configured for the provider (keyed under its name, <c>SerializerKey</c>, or in code).</summary>
    Custom,
}

/// <summary>How a stored state is encoded: its format, whether it is GZip-compressed, and how long its header is.</summary>
/// <param name="Format">The serializer that wrote it.</param>
/// <param name="Compressed">GZip-compressed after the header.</param>
/// <param name="HeaderLength">Bytes before the serialized state (0 for data written before formats were marked).</param>
internal readonly record struct StoredFormat(StateFormat Format, bool Compressed, int HeaderLength)
{
    /// <summary>False for data written before formats were marked (told apart by the old rules).</summary>
    public bool Marked => HeaderLength > 0;

    /// <summary>For messages: <c>format json+gzip</c>, or <c>unmarked (written before format marking), GZip</c>.</summary>
    public override string ToString()
        => Marked ? "format " + StoredFormatHeader.Token(Format, Compressed) : "unmarked (written before format marking)" + (Compressed ? ", GZip" : string.Empty);
}

/// <summary>
/// The explicit mark in front of every stored state: the byte 0x1E (ASCII record separator, which starts no JSON
/// text, no GZip stream and no data this provider wrote before), the format (<c>json</c>, <c>orleans</c> or
/// <c>custom</c>), <c>+gzip</c> when compressed, and a line feed; the serialized state follows. zkCli shows it as a
/// first line such as <c>json</c> above the JSON. Data without the mark was written before it existed and is read by
/// the rules of that time.
/// </summary>
internal static class StoredFormatHeader
{
    /// <summary>The first byte of a marked state.</summary>
    public const byte Marker = 0x1E;

    /// <summary>The longest header accepted when reading.</summary>
    public const int MaxLength = 32;

    private static readonly byte[][] Headers = BuildHeaders();

    /// <summary>The header for <paramref name="format"/>, compressed or not.</summary>
    public static ReadOnlySpan<byte> For(StateFormat format, bool compressed) => Headers[((int)format * 2) + (compressed ? 1 : 0)];

    /// <summary>The token that names the format in the header: <c>json</c>, <c>custom+gzip</c>, ...</summary>
    public static string Token(StateFormat format, bool compressed)
        => (format switch { StateFormat.Json => "json", StateFormat.Orleans => "orleans", _ => "custom" }) + (compressed ? "+gzip" : string.Empty);

    /// <summary>
    /// Reads the header of marked data; null for unmarked data. Throws <see cref="FormatException"/> for a mark whose
    /// format this provider does not know (written by a newer version, or damaged).
    /// </summary>
    public static StoredFormat? Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data[0] != Marker)
        {
            return null;
        }

        var end = data[..Math.Min(data.Length, MaxLength)].IndexOf((byte)'\n');
        if (end < 0)
        {
            throw new FormatException($"the data starts with the format mark (0x1E) but has no end of line within {MaxLength} bytes");
        }

        var token = data[1..end];
        for (var i = 0; i < Headers.Length; i++)
        {
            if (token.SequenceEqual(Headers[i].AsSpan(1, Headers[i].Length - 2)))
            {
                return new StoredFormat((StateFormat)(i / 2), (i % 2) == 1, end + 1);
            }
        }

        throw new FormatException($"the data is marked with the format '{ZooKeeperText.Printable(Encoding.Latin1.GetString(token))}', which this provider does not know (json, orleans, custom, each optionally +gzip)");
    }

    private static byte[][] BuildHeaders()
    {
        var headers = new byte[6][];
        foreach (var format in Enum.GetValues<StateFormat>())
        {
            foreach (var compressed in new[] { false, true })
            {
                headers[((int)format * 2) + (compressed ? 1 : 0)] = [Marker, .. Encoding.ASCII.GetBytes(Token(format, compressed)), (byte)'\n'];
            }
        }

        return headers;
    }
}
