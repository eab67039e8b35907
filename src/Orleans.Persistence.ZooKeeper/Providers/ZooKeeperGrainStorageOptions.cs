using System.IO.Compression;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Configuration;

/// <summary>Settings of a ZooKeeper grain storage provider.</summary>
public sealed class ZooKeeperGrainStorageOptions : ZooKeeperProviderContainerOptions, IStorageProviderSerializerOptions
{
    /// <summary>Room kept for the request's paths and headers when the state limit follows the packet limit.</summary>
    public const int PacketOverhead = 4 * 1024;

    /// <summary>Delete the znode on clear (true) or keep an empty node whose version carries on (false).</summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>
    /// The largest serialized (and compressed) state accepted, in bytes. Null: ZooKeeper's packet limit
    /// (<see cref="ZooKeeperClientOptions.MaxPacketSize"/>, default 0xfffff) minus the request's paths and headers.
    /// </summary>
    public int? MaxStateSize { get; set; }

    /// <summary>Compress states with GZip before storing them (reads handle either form).</summary>
    public bool CompressState { get; set; }

    /// <summary>The GZip level when <see cref="CompressState"/> is on.</summary>
    public CompressionLevel CompressionLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>
    /// The serializer. Default: one registered as a keyed <see cref="IGrainStorageSerializer"/> under the provider's
    /// name, else plain System.Text.Json without type names (readable with zkCli).
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>The silo lifecycle stage at which the provider starts.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>Where <see cref="Orleans.Configuration.ZooKeeperProviderContainerOptions.ContainerName"/> came from when configuration set it (<c>configuration key '…:ContainerName'</c>), for messages.</summary>
    internal string? ContainerNameOrigin { get; set; }

    /// <summary>The keyed serializer that configuration's <c>SerializerKey</c> named, and where it came from; null when none was named.</summary>
    internal (string Key, string Origin)? SerializerKey { get; set; }
}
