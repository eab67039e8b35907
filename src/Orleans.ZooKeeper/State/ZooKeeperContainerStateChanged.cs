using Orleans.Runtime;

namespace Orleans.ZooKeeper;

/// <summary>A container's connection state, with kazoo's meanings.</summary>
[GenerateSerializer]
public enum ZooKeeperContainerState
{
    /// <summary>No session: not yet connected, expired, authentication failed or closed.</summary>
    Lost = 0,

    /// <summary>Connected with a live session.</summary>
    Connected = 1,

    /// <summary>The connection dropped; the session may still be alive.</summary>
    Suspended = 2,
}

/// <summary>Names and stream coordinates of the state broadcast, after the Python original's pub/sub messages.</summary>
public static class ZooKeeperContainerStates
{
    /// <summary>The Orleans stream namespace the states are published in; the stream key is the container name.</summary>
    public const string StreamNamespace = "ZooKeeperContainer.state";

    /// <summary>The message name for CONNECTED.</summary>
    public const string Connected = "ZooKeeperContainer.state/CONNECTED!";

    /// <summary>The message name for SUSPENDED.</summary>
    public const string Suspended = "ZooKeeperContainer.state/SUSPENDED!";

    /// <summary>The message name for LOST.</summary>
    public const string Lost = "ZooKeeperContainer.state/LOST!";

    /// <summary>The stream of a container's states: namespace <see cref="StreamNamespace"/>, key = container name.</summary>
    public static StreamId StreamIdFor(string containerName) => StreamId.Create(StreamNamespace, containerName);

    /// <summary>The message name of a state.</summary>
    public static string NameOf(ZooKeeperContainerState state) => state switch
    {
        ZooKeeperContainerState.Connected => Connected,
        ZooKeeperContainerState.Suspended => Suspended,
        _ => Lost,
    };
}

/// <summary>A container changed state. Published in-process and on the container's Orleans stream.</summary>
/// <param name="ContainerName">The container.</param>
/// <param name="State">The new state.</param>
/// <param name="Silo">The silo the container lives in (null outside a silo).</param>
/// <param name="SessionId">The ZooKeeper session the change is about: the current one, for LOST the session that was lost; 0 when none. Shown as <c>0x…</c> hex.</param>
/// <param name="Server">The ZooKeeper server connected to, when connected.</param>
/// <param name="Timestamp">When the container saw the change.</param>
[GenerateSerializer, Immutable]
public sealed record ZooKeeperContainerStateChanged(
    [property: Id(0)] string ContainerName,
    [property: Id(1)] ZooKeeperContainerState State,
    [property: Id(2)] SiloAddress? Silo,
    [property: Id(3)] long SessionId,
    [property: Id(4)] string? Server,
    [property: Id(5)] DateTimeOffset Timestamp)
{
    /// <summary>The message name, e.g. <c>ZooKeeperContainer.state/CONNECTED!</c>.</summary>
    public string Name => ZooKeeperContainerStates.NameOf(State);

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"ContainerName = {ContainerName}, State = {State}, Silo = {Silo}, SessionId = {Client.SessionIds.Format(SessionId)}, Server = {Server}, Timestamp = {Timestamp:O}, Name = {Name}");
        return true;
    }
}
