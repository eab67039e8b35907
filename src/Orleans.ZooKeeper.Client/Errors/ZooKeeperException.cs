namespace Orleans.ZooKeeper.Client;

/// <summary>
/// A ZooKeeper operation failed. Carries the result <see cref="Code"/> and the <see cref="Path"/> the operation
/// was about; each code has its own subclass (<see cref="NoNodeException"/>, <see cref="ConnectionLossException"/>, ...).
/// </summary>
public class ZooKeeperException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperException(ErrorCode code, string? path, string? message = null, Exception? innerException = null)
        : base(BuildMessage(code, path, message), innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The result code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The path of the failed operation, if it had one (relative to the chroot).</summary>
    public string? Path { get; }

    /// <summary>
    /// For a failed <c>multi</c>: the result of every operation in the transaction (the failing one carries its
    /// own code, the ones before it <see cref="ErrorCode.Ok"/>, the ones after it <see cref="ErrorCode.RuntimeInconsistency"/>).
    /// Null otherwise.
    /// </summary>
    public IReadOnlyList<OpResult>? Results { get; internal set; }

    /// <summary>For a failed <c>multi</c>: the index of the operation that failed; otherwise -1.</summary>
    public int FailedOperationIndex { get; internal set; } = -1;

    private static string BuildMessage(ErrorCode code, string? path, string? message)
    {
        var text = message ?? DefaultText(code);
        return path is null ? $"{code} ({(int)code}): {text}" : $"{code} ({(int)code}) for {path}: {text}";
    }

    /// <summary>What <see cref="ErrorCode.SessionClosedRequireSaslAuth"/> means for the user.</summary>
    internal const string SaslRequiredText = "the server requires SASL authentication (sessionRequireClientSASLAuth) and closed the session, which had not authenticated with SASL: set ZooKeeperClientOptions.Sasl (container keys sasl_username/sasl_password)";

    private static string DefaultText(ErrorCode code) => code switch
    {
        ErrorCode.NoNode => "the node does not exist",
        ErrorCode.NodeExists => "the node already exists",
        ErrorCode.BadVersion => "the expected version does not match",
        ErrorCode.NotEmpty => "the node has children",
        ErrorCode.NoAuth => "insufficient permission (NoAuth): the session lacks the credentials the node's ACL requires",
        ErrorCode.ConnectionLoss => "the connection to the server was lost; the operation may or may not have been applied",
        ErrorCode.SessionExpired => "the session has expired",
        ErrorCode.AuthFailed => "authentication failed",
        ErrorCode.Unimplemented => "the server does not implement or has not enabled this operation",
        ErrorCode.NoChildrenForEphemerals => "ephemeral nodes cannot have children",
        ErrorCode.InvalidAcl => "invalid ACL",
        ErrorCode.NotReadOnly => "the server is read-only",
        ErrorCode.NoWatcher => "no such watcher",
        ErrorCode.SessionClosedRequireSaslAuth => SaslRequiredText,
        _ => "operation failed",
    };
}

/// <summary>
/// A request was refused before it was sent because its frame exceeds
/// <see cref="ZooKeeperClientOptions.MaxPacketSize"/> (the server's jute.maxbuffer). The connection is unaffected.
/// </summary>
public sealed class PacketTooLargeException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public PacketTooLargeException(string? path, int size, int limit)
        : base(ErrorCode.BadArguments, path, $"the request is {size} bytes, over the packet limit of {limit} bytes (ZooKeeperClientOptions.MaxPacketSize, the server's jute.maxbuffer); it was not sent")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The request's frame size in bytes.</summary>
    public int Size { get; }

    /// <summary>The configured limit.</summary>
    public int Limit { get; }
}
