using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Client.Logging;

/// <summary>The client's log messages. No message ever carries credentials.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Connected to ZooKeeper {Server}, session 0x{SessionId:x}, negotiated timeout {TimeoutMs} ms{ReadOnly}")]
    public static partial void Connected(ILogger logger, string server, long sessionId, int timeoutMs, string readOnly);

    [LoggerMessage(2, LogLevel.Warning, "Connection to ZooKeeper {Server} lost (session 0x{SessionId:x}): {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string server, long sessionId, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Could not connect to ZooKeeper {Server}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string server, string reason);

    [LoggerMessage(4, LogLevel.Warning, "ZooKeeper session 0x{SessionId:x} expired")]
    public static partial void SessionExpired(ILogger logger, long sessionId);

    [LoggerMessage(5, LogLevel.Error, "ZooKeeper refused the session's credentials ({Error}); the session is unusable")]
    public static partial void AuthFailed(ILogger logger, ErrorCode error);

    [LoggerMessage(6, LogLevel.Error, "A ZooKeeper watch or state callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "ZooKeeper {Server} sent a malformed message: {Reason}; dropping the connection")]
    public static partial void ProtocolError(ILogger logger, string server, string reason);

    [LoggerMessage(8, LogLevel.Debug, "ZooKeeper session 0x{SessionId:x} closed")]
    public static partial void Closed(ILogger logger, long sessionId);

    [LoggerMessage(9, LogLevel.Warning, "Re-registering watches after reconnecting failed with {Error}")]
    public static partial void SetWatchesFailed(ILogger logger, ErrorCode error);

    [LoggerMessage(10, LogLevel.Debug, "ZooKeeper state {Previous} -> {State} ({KeeperState})")]
    public static partial void StateChanged(ILogger logger, ConnectionState previous, ConnectionState state, KeeperState keeperState);

    [LoggerMessage(11, LogLevel.Warning, "A continuation held the ZooKeeper reader of {Server} for more than {StallMs} ms; another thread reads replies from now on (avoid blocking inside continuations, or set RunContinuationsAsynchronously)")]
    public static partial void ReaderStalled(ILogger logger, string server, int stallMs);

    [LoggerMessage(12, LogLevel.Information, "ZooKeeper server {Server} serves writes; leaving read-only server {ReadOnlyServer}")]
    public static partial void ReadWriteServerFound(ILogger logger, string server, string readOnlyServer);

    [LoggerMessage(13, LogLevel.Information, "ZooKeeper read-only session 0x{OldSessionId:x} replaced by read-write session 0x{SessionId:x}")]
    public static partial void NewSessionAfterReadOnly(ILogger logger, long oldSessionId, long sessionId);

    [LoggerMessage(14, LogLevel.Warning, "Could not connect to ZooKeeper {Server}: {Reason}{Repeats}")]
    public static partial void ConnectFailedReport(ILogger logger, string server, string reason, string repeats);

    [LoggerMessage(15, LogLevel.Debug, "SASL {Mechanism} authentication with ZooKeeper {Server} succeeded (session 0x{SessionId:x})")]
    public static partial void SaslAuthenticated(ILogger logger, string server, long sessionId, string mechanism);

    [LoggerMessage(16, LogLevel.Error, "{Reason}; the client stops (state LOST, AuthFailed)")]
    public static partial void SaslFailed(ILogger logger, string reason);
}
