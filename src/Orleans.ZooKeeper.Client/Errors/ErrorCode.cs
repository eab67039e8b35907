namespace Orleans.ZooKeeper.Client;

/// <summary>ZooKeeper result codes (KeeperException.Code).</summary>
public enum ErrorCode
{
    /// <summary>The operation succeeded.</summary>
    Ok = 0,

    /// <summary>A server-side system error.</summary>
    SystemError = -1,

    /// <summary>A runtime inconsistency was found.</summary>
    RuntimeInconsistency = -2,

    /// <summary>A data inconsistency was found.</summary>
    DataInconsistency = -3,

    /// <summary>The connection to the server was lost before the operation completed; it may or may not have been applied.</summary>
    ConnectionLoss = -4,

    /// <summary>Error while marshalling or unmarshalling data.</summary>
    MarshallingError = -5,

    /// <summary>The operation is not implemented (or not enabled) on the server.</summary>
    Unimplemented = -6,

    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,

    /// <summary>Invalid arguments.</summary>
    BadArguments = -8,

    /// <summary>Unknown session (internal server error).</summary>
    UnknownSession = -12,

    /// <summary>No quorum of the new configuration is connected.</summary>
    NewConfigNoQuorum = -13,

    /// <summary>Another reconfiguration is in progress.</summary>
    ReconfigInProgress = -14,

    /// <summary>A generic API error.</summary>
    ApiError = -100,

    /// <summary>The node does not exist.</summary>
    NoNode = -101,

    /// <summary>Not authenticated for this operation on the node.</summary>
    NoAuth = -102,

    /// <summary>The expected version does not match the node's version.</summary>
    BadVersion = -103,

    /// <summary>Ephemeral nodes may not have children.</summary>
    NoChildrenForEphemerals = -108,

    /// <summary>The node already exists.</summary>
    NodeExists = -110,

    /// <summary>The node has children.</summary>
    NotEmpty = -111,

    /// <summary>The session has expired.</summary>
    SessionExpired = -112,

    /// <summary>Invalid callback.</summary>
    InvalidCallback = -113,

    /// <summary>Invalid ACL.</summary>
    InvalidAcl = -114,

    /// <summary>Client authentication failed.</summary>
    AuthFailed = -115,

    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,

    /// <summary>The server is read-only and the operation writes.</summary>
    NotReadOnly = -119,

    /// <summary>Ephemeral nodes cannot be created on a local session.</summary>
    EphemeralOnLocalSession = -120,

    /// <summary>No such watcher.</summary>
    NoWatcher = -121,

    /// <summary>The request timed out.</summary>
    RequestTimeout = -122,

    /// <summary>Dynamic reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,

    /// <summary>The session was closed because it did not authenticate with SASL.</summary>
    SessionClosedRequireSaslAuth = -124,

    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,

    /// <summary>The server throttled the operation.</summary>
    Throttled = -127,

}
