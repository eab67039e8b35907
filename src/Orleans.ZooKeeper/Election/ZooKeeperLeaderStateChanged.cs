using Orleans.Runtime;

namespace Orleans.ZooKeeper;

/// <summary>Names and stream coordinates of leader-election announcements, after asab's <c>LeaderService</c> messages.</summary>
public static class ZooKeeperLeaderStates
{
    /// <summary>The Orleans stream namespace; the key is <c>{container}/{scope}</c> (<see cref="StreamIdFor"/>).</summary>
    public const string StreamNamespace = "LeaderService.state";

    /// <summary>This participant became the leader.</summary>
    public const string Leader = "LeaderService.state/LEADER!";

    /// <summary>This participant is (or became) a follower.</summary>
    public const string Follower = "LeaderService.state/FOLLOWER!";

    /// <summary>The stream of one election's announcements: namespace <see cref="StreamNamespace"/>, key <c>{container}/{scope}</c>.</summary>
    public static StreamId StreamIdFor(string containerName, string scope) => StreamId.Create(StreamNamespace, containerName + "/" + scope);
}

/// <summary>
/// A participant of an election became leader (<see cref="ZooKeeperLeaderStates.Leader"/>) or follower
/// (<see cref="ZooKeeperLeaderStates.Follower"/>). Raised in process and published on the election's Orleans stream.
/// </summary>
/// <param name="ContainerName">The container the election runs on.</param>
/// <param name="Scope">The election's scope.</param>
/// <param name="IsLeader">True for LEADER!, false for FOLLOWER!.</param>
/// <param name="FencingToken">LEADER!: the new term's token; FOLLOWER!: the token of the term that ended, 0 when there was none.</param>
/// <param name="ParticipantId">Who changed state.</param>
/// <param name="Silo">The silo of the participant (null outside a silo).</param>
/// <param name="Reason">Why, e.g. "first in the election", "the connection to ZooKeeper was suspended", "stepped down".</param>
/// <param name="Timestamp">When it happened.</param>
[GenerateSerializer, Immutable]
public sealed record ZooKeeperLeaderStateChanged(
    [property: Id(0)] string ContainerName,
    [property: Id(1)] string Scope,
    [property: Id(2)] bool IsLeader,
    [property: Id(3)] long FencingToken,
    [property: Id(4)] string ParticipantId,
    [property: Id(5)] SiloAddress? Silo,
    [property: Id(6)] string Reason,
    [property: Id(7)] DateTimeOffset Timestamp)
{
    /// <summary>The message name: <c>LeaderService.state/LEADER!</c> or <c>LeaderService.state/FOLLOWER!</c>.</summary>
    public string Name => IsLeader ? ZooKeeperLeaderStates.Leader : ZooKeeperLeaderStates.Follower;
}

/// <summary>The current leader of an election as last seen by a participant (asab's <c>LeaderInfo</c>).</summary>
/// <param name="Path">The leader's election node.</param>
/// <param name="FencingToken">The leader's fencing token (its node's czxid).</param>
/// <param name="Data">The leader's node data (by default <c>participant: …</c>, <c>host: …</c>, <c>pid: …</c> lines).</param>
/// <param name="IsSelf">True when it is this participant's own node.</param>
public sealed record ZooKeeperLeaderInfo(string Path, long FencingToken, byte[] Data, bool IsSelf)
{
    /// <summary><see cref="Data"/> as UTF-8 text.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Data);
}
