using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>Settings of a <see cref="ZooKeeperLeaderElection"/>.</summary>
public sealed class ZooKeeperLeaderElectionOptions
{
    /// <summary>What the leader does when the connection drops; default <see cref="ZooKeeperSuspensionPolicy.GiveUp"/> (stop leading at once).</summary>
    public ZooKeeperSuspensionPolicy SuspensionPolicy { get; set; } = ZooKeeperSuspensionPolicy.GiveUp;

    /// <summary>Retries of the ZooKeeper operations behind the election; default <see cref="ZooKeeperRetryPolicy.Default"/>.</summary>
    public ZooKeeperRetryPolicy RetryPolicy { get; set; } = ZooKeeperRetryPolicy.Default;

    /// <summary>This participant's name in announcements and logs; default: the silo address, else <c>{machine}/{pid}</c>.</summary>
    public string? ParticipantId { get; set; }

    /// <summary>
    /// The data of this participant's election node (what others see as <see cref="ZooKeeperLeaderInfo.Data"/>);
    /// default: <c>participant: {id}</c>, <c>host: {machine}</c>, <c>pid: {pid}</c> lines. Never secret.
    /// </summary>
    public ReadOnlyMemory<byte>? ParticipantData { get; set; }

    /// <summary>The Orleans stream provider to publish LEADER!/FOLLOWER! on (see <see cref="ZooKeeperLeaderStates"/>); null: in process only.</summary>
    public string? StreamProviderName { get; set; }

    /// <summary>Join the election when started (true, the default); false: start as a non-participant until <see cref="ZooKeeperLeaderElection.SetUp"/>.</summary>
    public bool JoinOnStart { get; set; } = true;

    /// <summary>
    /// How often the election looks at its queue even without a watch firing — a last-resort recovery, as asab's
    /// LeaderService does every 60 s. Default 60 s; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(60);
}
