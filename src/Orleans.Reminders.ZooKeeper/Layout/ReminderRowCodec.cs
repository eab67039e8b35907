using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Globalization;
using System.Text.Json;
using Orleans.Runtime;

namespace Orleans.Reminders.ZooKeeper;

/// <summary>
/// A row's data as readable JSON (<c>zkCli get</c> shows it as it is):
/// <c>{"grainId":"…","reminderName":"…","startAt":"2026-12-06T21:05:02.1234567Z","period":"00:01:00","incarnation":"…"}</c>.
/// <c>startAt</c> is the round-trip ("O") form and <c>period</c> the constant ("c") form, so both come back to the tick
/// (and StartAt with its kind). The ETag is <c>{incarnation}.{znode version}</c>.
/// </summary>
internal static class ReminderRowCodec
{
    public static byte[] Encode(ReminderEntry entry, string incarnation)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("grainId", entry.GrainId.ToString());
            json.WriteString("reminderName", entry.ReminderName);
            json.WriteString("startAt", entry.StartAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("period", entry.Period.ToString("c", CultureInfo.InvariantCulture));
            json.WriteString("incarnation", incarnation);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entry a row holds; <see cref="FormatException"/> naming what is wrong for anything else.</summary>
    public static ReminderEntry Decode(ReadOnlySpan<byte> data, int version)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            string? grainId = null, name = null, incarnation = null;
            DateTime? startAt = null;
            TimeSpan? period = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("the row is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Property names compared as UTF-8, values parsed from UTF-8: a range read decodes every row it returns.
                var property = reader.ValueSpan;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    throw new FormatException($"'{Encoding.UTF8.GetString(property)}' is not a string");
                }

                if (property.SequenceEqual("grainId"u8))
                {
                    grainId = reader.GetString();
                }
                else if (property.SequenceEqual("reminderName"u8))
                {
                    name = reader.GetString();
                }
                else if (property.SequenceEqual("startAt"u8))
                {
                    startAt = reader.ValueIsEscaped ? ParseStartAt(reader.GetString()!) : ParseStartAt(reader.ValueSpan);
                }
                else if (property.SequenceEqual("period"u8))
                {
                    period = reader.ValueIsEscaped || !Utf8Parser.TryParse(reader.ValueSpan, out TimeSpan parsed, out var used, 'c') || used != reader.ValueSpan.Length
                        ? TimeSpan.ParseExact(reader.GetString()!, "c", CultureInfo.InvariantCulture)
                        : parsed;
                }
                else if (property.SequenceEqual("incarnation"u8))
                {
                    incarnation = reader.GetString();
                }
            }

            return new ReminderEntry
            {
                GrainId = GrainId.Parse(grainId ?? throw Missing("grainId")),
                ReminderName = name ?? throw Missing("reminderName"),
                StartAt = startAt ?? throw Missing("startAt"),
                Period = period ?? throw Missing("period"),
                ETag = ETag(incarnation ?? throw Missing("incarnation"), version),
            };
        }
        catch (JsonException ex)
        {
            throw new FormatException("the row is not valid JSON: " + ex.Message, ex);
        }
    }

    /// <summary>The round-trip form back to the tick and the kind: UTC ("…Z", the common case, parsed from UTF-8), else as .NET reads it.</summary>
    private static DateTime ParseStartAt(ReadOnlySpan<byte> utf8)
        => utf8.Length == 28 && utf8[^1] == (byte)'Z' && Utf8Parser.TryParse(utf8, out DateTime parsed, out var used, 'O') && used == utf8.Length && parsed.Kind == DateTimeKind.Utc
            ? parsed
            : ParseStartAt(Encoding.UTF8.GetString(utf8));

    private static DateTime ParseStartAt(string text) => DateTime.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>The incarnation a row was created with (its guard's name), read from its data.</summary>
    public static string IncarnationOf(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("incarnation"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString()!;
            }
        }

        throw Missing("incarnation");
    }

    /// <summary>A new random incarnation id (16 hex digits: a znode name).</summary>
    public static string NewIncarnation() => Convert.ToHexString(Guid.NewGuid().ToByteArray().AsSpan(0, 8)).ToLowerInvariant();

    public static string ETag(string incarnation, int version) => incarnation + "." + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits an ETag made by <see cref="ETag"/>; false for anything else (such an ETag matches no row).</summary>
    public static bool TryParseETag(string? eTag, out string incarnation, out int version)
    {
        (incarnation, version) = (string.Empty, 0);
        var dot = eTag?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (eTag is null || dot != 16 || !int.TryParse(eTag.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return false;
        }

        incarnation = eTag[..dot];
        foreach (var c in incarnation)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static FormatException Missing(string property) => new($"the row has no '{property}'");
}
