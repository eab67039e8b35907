using System.IO.Compression;
using Orleans.Runtime;
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
    /// name, else <c>ZooKeeperJsonGrainStorageSerializer</c> (plain System.Text.Json without type names, readable with
    /// zkCli). Stored data is marked with the format that wrote it, so a changed setting never misreads older data.
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>
    /// Chooses a state's node: given the state name and the grain id, the node's path relative to the provider's root
    /// <c>{container path}/{ServiceId}</c> (no leading '/'; several segments allowed; missing nodes above it are
    /// created as container nodes). Null (the default): <c>{grain type}/{grain key}.{state name}</c>, each part
    /// encoded reversibly. Paths must not nest (a state's node is never below another state's), and the version-1
    /// layout is not read when this is set.
    /// </summary>
    public Func<string, GrainId, string>? GetStorageKey { get; set; }

    /// <summary>
    /// Lets states expire: each state node (and its incarnation guard) is a TTL node that ZooKeeper deletes once
    /// this long has passed since the state was last written (reads do not extend it). Needs servers started with
    /// <c>-Dzookeeper.extendedTypesEnabled=true</c>; otherwise the provider fails to start with a message saying so.
    /// Null (the default): states never expire.
    /// </summary>
    public TimeSpan? StateExpiry { get; set; }

    /// <summary>
    /// Read states written in version 1's node layout (<c>{grain type}/{grain key}/{state name}</c>) too, with one
    /// round trip (a multiRead of both nodes), and move each to the current layout at its next write. Null (the
    /// default): decided at startup — off when the provider's root is new or carries the layout marker node
    /// (<c>layout.v2</c>), on when it holds data from before.
    /// </summary>
    public bool? ReadLegacyLayout { get; set; }

    /// <summary>The silo lifecycle stage at which the provider starts.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>Where <see cref="Orleans.Configuration.ZooKeeperProviderContainerOptions.ContainerName"/> came from when configuration set it (<c>configuration key '…:ContainerName'</c>), for messages.</summary>
    internal string? ContainerNameOrigin { get; set; }

    /// <summary>The keyed serializer that configuration's <c>SerializerKey</c> named, and where it came from; null when none was named.</summary>
    internal (string Key, string Origin)? SerializerKey { get; set; }
}
