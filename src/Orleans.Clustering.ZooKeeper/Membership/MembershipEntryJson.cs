using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// The bytes of a row and of a heartbeat. The row is JSON in the shape Microsoft.Orleans.Clustering.ZooKeeper wrote
/// (silo addresses as <c>{"SiloAddress":"ip:port@gen"}</c>, the status by name, <c>SuspectTimes</c> as
/// <c>[{"Item1":…,"Item2":…}]</c>, both <c>SiloName</c> and <c>InstanceName</c>), plus the fields it left out
/// (<c>RoleName</c>, <c>UpdateZone</c>, <c>FaultZone</c>, <c>IAmAliveTime</c>). The heartbeat is a JSON string
/// timestamp. Timestamps are ISO 8601 UTC with 100 ns precision; older rows with other ISO forms are read too.
/// </summary>
internal static class MembershipEntryJson
{
    public static byte[] SerializeRow(MembershipEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("SiloAddress");
            WriteSilo(w, entry.SiloAddress);
            w.WriteString("HostName", entry.HostName);
            w.WriteString("SiloName", entry.SiloName);
            w.WriteString("InstanceName", entry.SiloName);
            w.WriteString("Status", entry.Status.ToString());
            w.WriteNumber("ProxyPort", entry.ProxyPort);
            w.WriteString("StartTime", Format(entry.StartTime));
            w.WritePropertyName("SuspectTimes");
            if (entry.SuspectTimes is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStartArray();
                foreach (var (silo, time) in entry.SuspectTimes)
                {
                    w.WriteStartObject();
                    w.WritePropertyName("Item1");
                    WriteSilo(w, silo);
                    w.WriteString("Item2", Format(time));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteString("RoleName", entry.RoleName);
            w.WriteNumber("UpdateZone", entry.UpdateZone);
            w.WriteNumber("FaultZone", entry.FaultZone);
            w.WriteString("IAmAliveTime", Format(entry.IAmAliveTime));
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] SerializeHeartbeat(DateTime time) => JsonSerializer.SerializeToUtf8Bytes(Format(time));

    /// <summary>A row; <see cref="MembershipEntry.IAmAliveTime"/> is the row's own copy (the heartbeat node overrides it).</summary>
    /// <exception cref="FormatException">Not a row: the message says which field is wrong.</exception>
    public static MembershipEntry DeserializeRow(byte[] data)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"a JSON {root.ValueKind} instead of an object");
            }

            var startTime = ReadTime(Required(root, "StartTime"), "StartTime");
            var entry = new MembershipEntry
            {
                SiloAddress = ReadSilo(Required(root, "SiloAddress"), "SiloAddress"),
                HostName = OptionalString(root, "HostName") ?? string.Empty,
                SiloName = OptionalString(root, "SiloName") ?? OptionalString(root, "InstanceName") ?? string.Empty,
                Status = ReadStatus(Required(root, "Status")),
                ProxyPort = ReadInt(root, "ProxyPort"),
                StartTime = startTime,
                RoleName = OptionalString(root, "RoleName") ?? string.Empty,
                UpdateZone = ReadInt(root, "UpdateZone"),
                FaultZone = ReadInt(root, "FaultZone"),
                IAmAliveTime = root.TryGetProperty("IAmAliveTime", out var alive) && alive.ValueKind != JsonValueKind.Null ? ReadTime(alive, "IAmAliveTime") : startTime,
                SuspectTimes = ReadSuspectTimes(root),
            };
            return entry;
        }
    }

    /// <exception cref="FormatException">Not a JSON timestamp.</exception>
    public static DateTime DeserializeHeartbeat(byte[] data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return ReadTime(document.RootElement, "heartbeat");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not a JSON timestamp ({ex.Message})", ex);
        }
    }

    private static string Format(DateTime time)
        => (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture);

    private static void WriteSilo(Utf8JsonWriter w, SiloAddress silo)
    {
        w.WriteStartObject();
        w.WriteString("SiloAddress", silo.ToParsableString());
        w.WriteEndObject();
    }

    private static JsonElement Required(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : throw new FormatException($"'{name}' is missing");

    private static string? OptionalString(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int ReadInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw new FormatException($"'{name}' is not an integer");
    }

    private static SiloStatus ReadStatus(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String && Enum.TryParse<SiloStatus>(value.GetString(), ignoreCase: false, out var status) && Enum.IsDefined(status))
        {
            return status;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && Enum.IsDefined((SiloStatus)number))
        {
            return (SiloStatus)number;
        }

        throw new FormatException($"'Status' ({value.GetRawText()}) is not a silo status");
    }

    private static SiloAddress ReadSilo(JsonElement value, string name)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.Object when value.TryGetProperty("SiloAddress", out var inner) && inner.ValueKind == JsonValueKind.String => inner.GetString(),
            JsonValueKind.String => value.GetString(),
            _ => null,
        };
        if (text is not null && MembershipLayout.TryParseRowName(text, out var silo))
        {
            return silo;
        }

        throw new FormatException($"'{name}' ({value.GetRawText()}) is not a silo address");
    }

    private static DateTime ReadTime(JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.String
            && DateTime.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time.Kind == DateTimeKind.Utc ? time : DateTime.SpecifyKind(time, DateTimeKind.Utc);
        }

        throw new FormatException($"'{name}' ({value.GetRawText()}) is not a timestamp");
    }

    private static List<Tuple<SiloAddress, DateTime>>? ReadSuspectTimes(JsonElement root)
    {
        if (!root.TryGetProperty("SuspectTimes", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("'SuspectTimes' is not an array");
        }

        var result = new List<Tuple<SiloAddress, DateTime>>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("an item of 'SuspectTimes' is not an object");
            }

            result.Add(Tuple.Create(ReadSilo(Required(item, "Item1"), "SuspectTimes.Item1"), ReadTime(Required(item, "Item2"), "SuspectTimes.Item2")));
        }

        return result;
    }
}
