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
            using var json = JsonDocument.Parse(data.ToArray());
            var root = json.RootElement;
            string Text(string property) => root.GetProperty(property).GetString() ?? throw new FormatException($"'{property}' is null");
            return new GrainAddress
            {
                GrainId = GrainId.Parse(Text("grainId")),
                ActivationId = ActivationId.FromParsableString(Text("activationId")),
                SiloAddress = root.GetProperty("siloAddress").GetString() is { } silo ? SiloAddress.FromParsableString(silo) : null,
                MembershipVersion = new MembershipVersion(root.GetProperty("membershipVersion").GetInt64()),
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("not a grain directory entry: " + ex.Message, ex);
        }
    }
}
