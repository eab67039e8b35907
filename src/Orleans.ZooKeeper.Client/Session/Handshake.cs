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

        var frame = ReadFrame(stream, ConnectResponse.MaxFrameLength, "the session handshake", "is this a TLS port? is the server serving — in a quorum, or read-only while the client does not accept that?");
        return ConnectResponse.Read(frame);
    }

    /// <summary>
    /// Reads one length-prefixed frame before the connection's reader runs (handshake, SASL exchange).
    /// <paramref name="closedHint"/> is added when the server closes the connection before the frame starts.
    /// </summary>
    public static byte[] ReadFrame(Stream stream, int maxLength, string during, string? closedHint = null)
    {
        Span<byte> prefix = stackalloc byte[4];
        try
        {
            stream.ReadExactly(prefix);
        }
        catch (EndOfStreamException ex)
        {
            throw new IOException($"the server closed the connection during {during}" + (closedHint is null ? string.Empty : $" ({closedHint})"), ex);
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < ReplyHeader.Size || length > maxLength)
        {
            var tls = prefix[0] is 0x15 or 0x16 && prefix[1] == 0x03;
            throw new ProtocolException(tls
                ? $"the server answered {during} with TLS: this is a TLS port (set ZooKeeperClientOptions.Tls)"
                : $"invalid reply length {length} in {during}");
        }

        var frame = new byte[length];
        try
        {
            stream.ReadExactly(frame);
        }
        catch (EndOfStreamException ex)
        {
            throw new IOException($"the server closed the connection in the middle of a reply in {during}", ex);
        }

        return frame;
    }
}
