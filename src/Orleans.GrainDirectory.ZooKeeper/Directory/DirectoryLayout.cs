using System.Globalization;
using System.Text.Json;
using Orleans.GrainDirectory;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.GrainDirectory.ZooKeeper;

/// <summary>
/// Where a directory keeps its entries: <c>{container path}/{ClusterId}.directory/{name}</c> with
/// <c>grains/{XX}/{grain id}</c> (the entry: readable JSON, <c>XX</c> the top 8 bits of the grain's uniform hash, so no
/// folder grows past a fraction of the directory) and <c>silos/{silo address}/{grain id}</c> (the per-silo index: an
/// empty node the same transaction creates, so removing a dead silo's entries lists that silo's index, never the
/// directory). Names are encoded with <see cref="ZooKeeperNodeNames"/>.
/// </summary>
internal sealed class DirectoryLayout
{
    public DirectoryLayout(string basePath, string clusterId, string name)
        => Root = ZooKeeperPath.Combine(ZooKeeperPath.Combine(basePath, ZooKeeperNodeNames.Encode(clusterId) + ".directory"), ZooKeeperNodeNames.Encode(name));

    public string Root { get; }

    public string Grains => Root + "/grains";

    public string Silos => Root + "/silos";

    public string BucketOf(GrainId grainId) => Grains + "/" + (grainId.GetUniformHashCode() >> 24).ToString("X2", CultureInfo.InvariantCulture);

    public string EntryPath(GrainId grainId) => BucketOf(grainId) + "/" + ZooKeeperNodeNames.Encode(grainId.ToString());

    public string SiloIndex(SiloAddress silo) => Silos + "/" + ZooKeeperNodeNames.Encode(silo.ToParsableString());

    public string IndexPath(SiloAddress silo, GrainId grainId) => SiloIndex(silo) + "/" + ZooKeeperNodeNames.Encode(grainId.ToString());

    /// <summary>An entry as JSON: <c>{"grainId":…,"activationId":…,"siloAddress":…,"membershipVersion":…}</c>.</summary>
    public static byte[] Encode(GrainAddress address)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("grainId", address.GrainId.ToString());
            json.WriteString("activationId", address.ActivationId.ToParsableString());
            json.WriteString("siloAddress", address.SiloAddress?.ToParsableString());
            json.WriteNumber("membershipVersion", address.MembershipVersion.Value);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entry an entry node holds; <see cref="FormatException"/> naming what is wrong for anything else.</summary>
    public static GrainAddress Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            // One pass over the UTF-8 (a lookup decodes one entry per call): no document, no copy.
            var reader = new Utf8JsonReader(data);
            string? grainId = null, activation = null, silo = null;
            long? version = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueSpan;
                reader.Read();
                if (property.SequenceEqual("grainId"u8))
                {
                    grainId = reader.GetString();
                }
                else if (property.SequenceEqual("activationId"u8))
                {
                    activation = reader.GetString();
                }
                else if (property.SequenceEqual("siloAddress"u8))
                {
                    silo = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                }
                else if (property.SequenceEqual("membershipVersion"u8))
                {
                    version = reader.GetInt64();
                }
                else
                {
                    reader.Skip();
                }
            }

            return new GrainAddress
            {
                GrainId = GrainId.Parse(grainId ?? throw new FormatException("no 'grainId'")),
                ActivationId = ActivationId.FromParsableString(activation ?? throw new FormatException("no 'activationId'")),
                SiloAddress = silo is null ? null : SiloAddress.FromParsableString(silo),
                MembershipVersion = new MembershipVersion(version ?? throw new FormatException("no 'membershipVersion'")),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("not a grain directory entry: " + ex.Message, ex);
        }
    }
}
