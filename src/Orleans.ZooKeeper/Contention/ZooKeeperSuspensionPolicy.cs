namespace Orleans.ZooKeeper;

/// <summary>
/// What a leader or a lock holder does when its connection to ZooKeeper drops (SUSPENDED): the counterpart of
/// Curator's connection-state error policy.
/// </summary>
public enum ZooKeeperSuspensionPolicy
{
    /// <summary>
    /// Give up at once (the default; Curator's standard policy). While SUSPENDED nothing is known about the session,
    /// so a leader stops leading and a lock lease is lost the moment the connection drops. A leader whose session
    /// survives leads again (with the same fencing token) once it reconnects and has checked that its node is still
    /// first; a lost lock lease stays lost (acquire again).
    /// </summary>
    GiveUp = 0,

    /// <summary>
    /// Keep leading or holding while SUSPENDED, but only as long as the client's session lease
    /// (<see cref="Client.ZooKeeperClient.GetSessionLease"/>) proves the server cannot have expired the session yet:
    /// 9/10 of the session timeout after the last request the server answered. Rides out short disconnections such as
    /// a ZooKeeper server failing over, and is still never two leaders at once — unlike Curator's session policy,
    /// which keeps leadership until LOST is known and so can overlap with a new leader (apache/curator#980).
    /// </summary>
    KeepWhileSessionLeaseHolds = 1,
}
