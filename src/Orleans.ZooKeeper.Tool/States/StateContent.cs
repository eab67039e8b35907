using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Orleans.Persistence.ZooKeeper;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary>
/// A stored state's bytes read the way grain storage reads them: the format mark (<c>json</c>, <c>orleans</c>,
/// <c>custom</c>, each optionally <c>+gzip</c>), else the rules of unmarked data. JSON is shown pretty-printed; a
/// format only a silo can read is shown raw with a note (<see cref="Opaque"/>); bytes that do not decode as their mark
/// says are damaged (<see cref="Problem"/>) — never an exception.
/// </summary>
internal sealed record StateContent(string Format, int Size, string? Json, string? Problem, byte[] Raw, string? Opaque = null)
{
    public static StateContent Decode(byte[] data)
    {
        if (data.Length == 0)
        {
            return new StateContent("empty (cleared state)", 0, null, null, data);
        }

        StoredFormat format;
        try
        {
            format = StoredFormatHeader.Read(data) ?? new StoredFormat(StateFormat.Json, data.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]), 0);
        }
        catch (FormatException ex)
        {
            return new StateContent("unknown", data.Length, null, "the format mark cannot be read: " + ex.Message, data);
        }

        var name = format.Marked ? StoredFormatHeader.Token(format.Format, format.Compressed) : "unmarked" + (format.Compressed ? "+gzip" : string.Empty);
        var payload = data.AsMemory(format.HeaderLength);
        if (format.Compressed)
        {
            try
            {
                using var input = new MemoryStream(payload.ToArray());
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                using var output = new MemoryStream();
                gzip.CopyTo(output);
                payload = output.ToArray();
            }
            catch (InvalidDataException ex)
            {
                return new StateContent(name, data.Length, null, "the GZip data is damaged: " + ex.Message, data);
            }
        }

        if (format.Format != StateFormat.Json)
        {
            return new StateContent(name, data.Length, null, null, data, $"written by the {(format.Format == StateFormat.Orleans ? "silo's Orleans" : "provider's custom")} serializer, which only a silo can read; shown raw");
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return new StateContent(name, data.Length, Pretty(document.RootElement), null, data);
        }
        catch (JsonException ex) when (format.Marked)
        {
            return new StateContent(name, data.Length, null, $"not valid JSON ({ex.Message})", data);
        }
        catch (JsonException)
        {
            // Unmarked data was read by the rules of its time: a custom serializer, or the silo's for Orleans' own types.
            return new StateContent(name, data.Length, null, null, data, "written before format marking by a serializer other than JSON (a custom one, or the silo's for Orleans' own state types); shown raw");
        }
    }

    /// <summary>The bytes grain storage's JSON serializer would store for <paramref name="json"/>: the <c>json</c> mark, then compact UTF-8 JSON.</summary>
    /// <exception cref="JsonException"><paramref name="json"/> is not JSON.</exception>
    public static byte[] EncodeJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        buffer.Write(StoredFormatHeader.For(StateFormat.Json, compressed: false));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            document.RootElement.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>Raw bytes for a person: printable ASCII kept, the rest as \xNN (at most <paramref name="max"/> bytes).</summary>
    public static string Escaped(byte[] data, int max = 4096)
    {
        var sb = new StringBuilder();
        foreach (var b in data.AsSpan(0, Math.Min(data.Length, max)))
        {
            _ = b is >= 0x20 and < 0x7f and not (byte)'\\' ? sb.Append((char)b) : b == (byte)'\n' ? sb.Append("\\n") : sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (data.Length > max)
        {
            sb.Append("… (").Append(data.Length - max).Append(" more bytes)");
        }

        return sb.ToString();
    }

    private static string Pretty(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
