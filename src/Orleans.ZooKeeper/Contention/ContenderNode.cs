namespace Orleans.ZooKeeper.Contention;

/// <summary>
/// One node a <see cref="Contender"/> created (or adopted) in one session: its path, owner session and czxid, and
/// whether it is known to be gone. A node is gone for good once it was deleted (the own-node watch saw it), or the
/// contender let go of it (forgot, deleted, replaced it): the claim resting on it (<see cref="Attach"/>) ends at that
/// moment, before anything that could let the next contender in is sent.
/// </summary>
internal sealed class ContenderNode
{
    private SessionClaim? _claim;
    private string? _goneReason;

    public ContenderNode(string path, long sessionId, long token)
    {
        Path = path;
        SessionId = sessionId;
        Token = token;
    }

    /// <summary>The node (absolute).</summary>
    public string Path { get; }

    /// <summary>The session that owns it (its ephemeral owner).</summary>
    public long SessionId { get; }

    /// <summary>Its czxid: the fencing token.</summary>
    public long Token { get; }

    /// <summary>True once the node was deleted or let go of; never false again.</summary>
    public bool IsGone => Volatile.Read(ref _goneReason) is not null;

    /// <summary>Why it is gone (null while it is not).</summary>
    public string? GoneReason => Volatile.Read(ref _goneReason);

    /// <summary>Marks the node gone (the first reason wins) and ends the claim resting on it.</summary>
    public void MarkGone(string reason)
    {
        if (Interlocked.CompareExchange(ref _goneReason, reason, null) is null)
        {
            Volatile.Read(ref _claim)?.End(reason);
        }
    }

    /// <summary>
    /// Rests <paramref name="claim"/> on this node: it ends when the node goes (at once when it already has). Written
    /// before the gone flag is read, as <see cref="MarkGone"/> writes the flag before reading the claim, so one of the
    /// two always sees the other.
    /// </summary>
    public void Attach(SessionClaim claim)
    {
        Interlocked.Exchange(ref _claim, claim);
        if (GoneReason is { } reason)
        {
            claim.End(reason);
        }
    }
}
