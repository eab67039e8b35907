namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>The ping packet (xid -2): a header only. (Auth packets are <see cref="AuthRequest"/> bodies on xid -4.)</summary>
internal static class ControlPackets
{
    /// <summary>A ping: header only.</summary>
    public static void WritePing(FrameBuffer buffer)
    {
        var start = buffer.BeginFrame();
        RequestHeader.Write(buffer, Xids.Ping, OpCode.Ping);
        buffer.EndFrame(start);
    }
}
