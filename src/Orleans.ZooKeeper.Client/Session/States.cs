namespace Orleans.ZooKeeper.Client;

/// <summary>The connection state with kazoo's meanings.</summary>
public enum ConnectionState
{
    /// <summary>No session: not yet connected, expired, authentication failed, or closed. The initial state.</summary>
    Lost = 0,

    /// <summary>Connected to a server with a live session (read-write or read-only).</summary>
    Connected = 1,

    /// <summary>The connection dropped; the session may still be alive and is being resumed on another server.</summary>
    Suspended = 2,
}

/// <summary>The raw ZooKeeper client states (Watcher.Event.KeeperState).</summary>
public enum KeeperState
{
    /// <summary>Not connected.</summary>
    Disconnected = 0,

    /// <summary>Connected to a read-write server.</summary>
    SyncConnected = 3,

    /// <summary>Authentication failed; the session is unusable.</summary>
    AuthFailed = 4,

    /// <summary>Connected to a read-only server.</summary>
    ConnectedReadOnly = 5,

    /// <summary>The session expired.</summary>
    Expired = -112,

    /// <summary>The client was closed.</summary>
    Closed = 7,
}

/// <summary>A change of connection state.</summary>
/// <param name="State">The new kazoo-style state.</param>
/// <param name="PreviousState">The state before.</param>
/// <param name="KeeperState">The raw keeper state that caused it.</param>
/// <param name="SessionId">
/// The session the change is about: the current one, or for LOST the session that was lost (expired, refused, closed);
/// 0 when there was none. Shown as <c>0x…</c> hex, as everywhere else.
/// </param>
/// <param name="Server">The server connected to, when connected.</param>
/// <param name="Timestamp">When the client observed the change.</param>
public sealed record ConnectionStateChange(
    ConnectionState State,
    ConnectionState PreviousState,
    KeeperState KeeperState,
    long SessionId,
    string? Server,
    DateTimeOffset Timestamp)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"State = {State}, PreviousState = {PreviousState}, KeeperState = {KeeperState}, SessionId = {SessionIds.Format(SessionId)}, Server = {Server}, Timestamp = {Timestamp:O}");
        return true;
    }
}
