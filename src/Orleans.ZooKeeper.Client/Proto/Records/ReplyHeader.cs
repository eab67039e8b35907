namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>ReplyHeader {int xid, long zxid, int err}: the first 16 bytes of every reply and notification.</summary>
internal readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Error)
{
    public const int Size = 16;

    public static ReplyHeader Read(ref JuteReader reader)
        => new(reader.ReadInt(), reader.ReadLong(), (ErrorCode)reader.ReadInt());
}

/// <summary>RequestHeader {int xid, int type}.</summary>
internal static class RequestHeader
{
    public const int Size = 8;

    public static void Write(FrameBuffer buffer, int xid, OpCode op)
    {
        buffer.WriteInt(xid);
        buffer.WriteInt((int)op);
    }
}
