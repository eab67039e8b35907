namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// multi (14) or multiRead (22): a MultiHeader {int type, bool done, int err} and a record per operation, then
/// the terminator {-1, true, -1}. <see cref="Op"/> records are plain data; their wire form lives here.
/// </summary>
internal readonly struct MultiRequest(OpCode op, IReadOnlyList<Op> ops) : IRequestBody
{
    public OpCode Op => op;

    public void Write(FrameBuffer b, Chroot chroot)
    {
        foreach (var o in ops)
        {
            b.WriteInt((int)OpWire.OpCodeOf(o));
            b.WriteBool(false);
            b.WriteInt(-1);
            OpWire.WriteBody(b, chroot, o);
        }

        b.WriteInt(-1);
        b.WriteBool(true);
        b.WriteInt(-1);
    }
}

/// <summary>The wire form of each <see cref="Client.Op"/> kind.</summary>
internal static class OpWire
{
    public static OpCode OpCodeOf(Op op) => op switch
    {
        CreateOp c => RequestWriter.CreateOpFor(c.Mode),
        DeleteOp => OpCode.Delete,
        SetDataOp => OpCode.SetData,
        CheckOp => OpCode.Check,
        GetDataOp => OpCode.GetData,
        GetChildrenOp => OpCode.GetChildren,
        _ => throw new ArgumentException($"Unknown operation type {op.GetType().Name}.", nameof(op)),
    };

    /// <summary>True for the operations multiRead accepts.</summary>
    public static bool IsRead(Op op) => op is GetDataOp or GetChildrenOp;

    public static void WriteBody(FrameBuffer b, Chroot chroot, Op op)
    {
        switch (op)
        {
            case CreateOp c:
                RequestWriter.WriteCreate(b, chroot, c.Path, c.Data.Span, c.Acl, c.Mode, TtlMilliseconds(c.Mode, c.Ttl));
                break;
            case DeleteOp d:
                RequestWriter.WritePathInt(b, chroot, d.Path, d.Version);
                break;
            case SetDataOp s:
                RequestWriter.WriteSetData(b, chroot, s.Path, s.Data.Span, s.Version);
                break;
            case CheckOp c:
                RequestWriter.WritePathInt(b, chroot, c.Path, c.Version);
                break;
            case GetDataOp g:
                RequestWriter.WritePathBool(b, chroot, g.Path, false);
                break;
            case GetChildrenOp g:
                RequestWriter.WritePathBool(b, chroot, g.Path, false);
                break;
            default:
                throw new ArgumentException($"Unknown operation type {op.GetType().Name}.", nameof(op));
        }
    }

    /// <summary>The TTL field of a create: the TTL for TTL modes, -1 otherwise.</summary>
    public static long TtlMilliseconds(CreateMode mode, TimeSpan? ttl) => mode.IsTtl() && ttl is { } t ? (long)t.TotalMilliseconds : -1;
}
