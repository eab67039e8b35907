// One exception type per ZooKeeper result code, so callers can catch exactly what they handle.
namespace Orleans.ZooKeeper.Client;

/// <summary>A server-side system error. (<see cref="ErrorCode.SystemError"/>)</summary>
public sealed class SystemErrorException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SystemErrorException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.SystemError, path, message, innerException)
    {
    }
}

/// <summary>A runtime inconsistency was found. (<see cref="ErrorCode.RuntimeInconsistency"/>)</summary>
public sealed class RuntimeInconsistencyException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RuntimeInconsistencyException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.RuntimeInconsistency, path, message, innerException)
    {
    }
}

/// <summary>A data inconsistency was found. (<see cref="ErrorCode.DataInconsistency"/>)</summary>
public sealed class DataInconsistencyException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DataInconsistencyException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.DataInconsistency, path, message, innerException)
    {
    }
}

/// <summary>The connection to the server was lost before the operation completed; it may or may not have been applied. (<see cref="ErrorCode.ConnectionLoss"/>)</summary>
public sealed class ConnectionLossException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ConnectionLossException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.ConnectionLoss, path, message, innerException)
    {
    }
}

/// <summary>Error while marshalling or unmarshalling data. (<see cref="ErrorCode.MarshallingError"/>)</summary>
public sealed class MarshallingErrorException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MarshallingErrorException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.MarshallingError, path, message, innerException)
    {
    }
}

/// <summary>The operation is not implemented (or not enabled) on the server. (<see cref="ErrorCode.Unimplemented"/>)</summary>
public sealed class UnimplementedException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public UnimplementedException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.Unimplemented, path, message, innerException)
    {
    }
}

/// <summary>The operation timed out. (<see cref="ErrorCode.OperationTimeout"/>)</summary>
public sealed class OperationTimeoutException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public OperationTimeoutException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.OperationTimeout, path, message, innerException)
    {
    }
}

/// <summary>Invalid arguments. (<see cref="ErrorCode.BadArguments"/>)</summary>
public sealed class BadArgumentsException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BadArgumentsException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.BadArguments, path, message, innerException)
    {
    }
}

/// <summary>Unknown session (internal server error). (<see cref="ErrorCode.UnknownSession"/>)</summary>
public sealed class UnknownSessionException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public UnknownSessionException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.UnknownSession, path, message, innerException)
    {
    }
}

/// <summary>A generic API error. (<see cref="ErrorCode.ApiError"/>)</summary>
public sealed class ApiErrorException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ApiErrorException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.ApiError, path, message, innerException)
    {
    }
}

/// <summary>The node does not exist. (<see cref="ErrorCode.NoNode"/>)</summary>
public sealed class NoNodeException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NoNodeException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NoNode, path, message, innerException)
    {
    }
}

/// <summary>Not authenticated for this operation on the node. (<see cref="ErrorCode.NoAuth"/>)</summary>
public sealed class NoAuthException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NoAuthException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NoAuth, path, message, innerException)
    {
    }
}

/// <summary>The expected version does not match the node's version. (<see cref="ErrorCode.BadVersion"/>)</summary>
public sealed class BadVersionException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BadVersionException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.BadVersion, path, message, innerException)
    {
    }
}

/// <summary>Ephemeral nodes may not have children. (<see cref="ErrorCode.NoChildrenForEphemerals"/>)</summary>
public sealed class NoChildrenForEphemeralsException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NoChildrenForEphemeralsException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NoChildrenForEphemerals, path, message, innerException)
    {
    }
}

/// <summary>The node already exists. (<see cref="ErrorCode.NodeExists"/>)</summary>
public sealed class NodeExistsException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NodeExistsException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NodeExists, path, message, innerException)
    {
    }
}

/// <summary>The node has children. (<see cref="ErrorCode.NotEmpty"/>)</summary>
public sealed class NotEmptyException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NotEmptyException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NotEmpty, path, message, innerException)
    {
    }
}

/// <summary>The session has expired. (<see cref="ErrorCode.SessionExpired"/>)</summary>
public sealed class SessionExpiredException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SessionExpiredException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.SessionExpired, path, message, innerException)
    {
    }
}

/// <summary>Invalid callback. (<see cref="ErrorCode.InvalidCallback"/>)</summary>
public sealed class InvalidCallbackException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public InvalidCallbackException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.InvalidCallback, path, message, innerException)
    {
    }
}

/// <summary>Invalid ACL. (<see cref="ErrorCode.InvalidAcl"/>)</summary>
public sealed class InvalidAclException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public InvalidAclException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.InvalidAcl, path, message, innerException)
    {
    }
}

/// <summary>Client authentication failed. (<see cref="ErrorCode.AuthFailed"/>)</summary>
public sealed class AuthFailedException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public AuthFailedException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.AuthFailed, path, message, innerException)
    {
    }
}

/// <summary>The session moved to another server. (<see cref="ErrorCode.SessionMoved"/>)</summary>
public sealed class SessionMovedException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SessionMovedException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.SessionMoved, path, message, innerException)
    {
    }
}

/// <summary>The server is read-only and the operation writes. (<see cref="ErrorCode.NotReadOnly"/>)</summary>
public sealed class NotReadOnlyException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NotReadOnlyException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NotReadOnly, path, message, innerException)
    {
    }
}

/// <summary>Ephemeral nodes cannot be created on a local session. (<see cref="ErrorCode.EphemeralOnLocalSession"/>)</summary>
public sealed class EphemeralOnLocalSessionException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public EphemeralOnLocalSessionException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.EphemeralOnLocalSession, path, message, innerException)
    {
    }
}

/// <summary>No such watcher. (<see cref="ErrorCode.NoWatcher"/>)</summary>
public sealed class NoWatcherException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NoWatcherException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.NoWatcher, path, message, innerException)
    {
    }
}

/// <summary>The request timed out. (<see cref="ErrorCode.RequestTimeout"/>)</summary>
public sealed class RequestTimeoutException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RequestTimeoutException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.RequestTimeout, path, message, innerException)
    {
    }
}

/// <summary>A quota was exceeded. (<see cref="ErrorCode.QuotaExceeded"/>)</summary>
public sealed class QuotaExceededException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public QuotaExceededException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.QuotaExceeded, path, message, innerException)
    {
    }
}

/// <summary>The server throttled the operation. (<see cref="ErrorCode.Throttled"/>)</summary>
public sealed class ThrottledException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path the operation was about, if any.</param>
    /// <param name="message">A message; null for the default one.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ThrottledException(string? path = null, string? message = null, Exception? innerException = null)
        : base(ErrorCode.Throttled, path, message, innerException)
    {
    }
}

internal static class ZooKeeperExceptions
{
    /// <summary>Maps a result code to its typed exception.</summary>
    public static ZooKeeperException Create(ErrorCode code, string? path, string? message = null, Exception? inner = null) => code switch
    {
        ErrorCode.SystemError => new SystemErrorException(path, message, inner),
        ErrorCode.RuntimeInconsistency => new RuntimeInconsistencyException(path, message, inner),
        ErrorCode.DataInconsistency => new DataInconsistencyException(path, message, inner),
        ErrorCode.ConnectionLoss => new ConnectionLossException(path, message, inner),
        ErrorCode.MarshallingError => new MarshallingErrorException(path, message, inner),
        ErrorCode.Unimplemented => new UnimplementedException(path, message, inner),
        ErrorCode.OperationTimeout => new OperationTimeoutException(path, message, inner),
        ErrorCode.BadArguments => new BadArgumentsException(path, message, inner),
        ErrorCode.UnknownSession => new UnknownSessionException(path, message, inner),
        ErrorCode.ApiError => new ApiErrorException(path, message, inner),
        ErrorCode.NoNode => new NoNodeException(path, message, inner),
        ErrorCode.NoAuth => new NoAuthException(path, message, inner),
        ErrorCode.BadVersion => new BadVersionException(path, message, inner),
        ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path, message, inner),
        ErrorCode.NodeExists => new NodeExistsException(path, message, inner),
        ErrorCode.NotEmpty => new NotEmptyException(path, message, inner),
        ErrorCode.SessionExpired => new SessionExpiredException(path, message, inner),
        ErrorCode.InvalidCallback => new InvalidCallbackException(path, message, inner),
        ErrorCode.InvalidAcl => new InvalidAclException(path, message, inner),
        ErrorCode.AuthFailed => new AuthFailedException(path, message, inner),
        ErrorCode.SessionMoved => new SessionMovedException(path, message, inner),
        ErrorCode.NotReadOnly => new NotReadOnlyException(path, message, inner),
        ErrorCode.EphemeralOnLocalSession => new EphemeralOnLocalSessionException(path, message, inner),
        ErrorCode.NoWatcher => new NoWatcherException(path, message, inner),
        ErrorCode.RequestTimeout => new RequestTimeoutException(path, message, inner),
        ErrorCode.QuotaExceeded => new QuotaExceededException(path, message, inner),
        ErrorCode.Throttled => new ThrottledException(path, message, inner),
        _ => new ZooKeeperException(code, path, message, inner),
    };
}
