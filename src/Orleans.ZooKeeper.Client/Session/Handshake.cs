using System.Buffers.Binary;
using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>The session handshake on a fresh transport stream: one ConnectRequest out, one ConnectResponse back (blocking calls).</summary>
internal static class Handshake
{
    public static ConnectResponse Perform(Stream stream, in ConnectRequest request)
    {
        using (var buffer = new FrameBuffer(128))
        {
            request.WriteFrame(buffer);
            stream.Write(buffer.WrittenSpan);
        }

        Span<byte> prefix = stackalloc byte[4];
        try
        {
            stream.ReadExactly(prefix);
        }
        catch (EndOfStreamException ex)
        {
            throw new IOException("the server closed the connection during the session handshake (is this a TLS port? is the server serving — in a quorum, or read-only while the client does not accept that?)", ex);
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < ReplyHeader.Size || length > ConnectResponse.MaxFrameLength)
        {
            var tls = prefix[0] is 0x15 or 0x16 && prefix[1] == 0x03;
            throw new ProtocolException(tls
                ? "the server answered the session handshake with TLS: this is a TLS port (set ZooKeeperClientOptions.Tls)"
                : $"invalid session handshake reply length {length}");
        }

        var frame = new byte[length];
        try
        {
            stream.ReadExactly(frame);
        }
        catch (EndOfStreamException ex)
        {
            throw new IOException("the server closed the connection in the middle of the session handshake reply", ex);
        }

        return ConnectResponse.Read(frame);
    }
}
