namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// ConnectRequest {int protocolVersion, long lastZxidSeen, int timeOut, long sessionId, buffer passwd} plus the
/// trailing readOnly byte. Sent alone, without a request header, as the first frame of a connection.
/// </summary>
internal readonly record struct ConnectRequest(long LastZxidSeen, int TimeoutMs, long SessionId, ReadOnlyMemory<byte> Password, bool ReadOnly)
{
    public const int PasswordLength = 16;

    /// <summary>Writes the whole frame (length prefix included).</summary>
    public void WriteFrame(FrameBuffer buffer)
    {
        if (Password.Length != PasswordLength)
        {
            throw new ArgumentException($"A session password has {PasswordLength} bytes, not {Password.Length}.", nameof(Password));
        }

        var start = buffer.BeginFrame();
        buffer.WriteInt(0); // protocol version
        buffer.WriteLong(LastZxidSeen);
        buffer.WriteInt(TimeoutMs);
        buffer.WriteLong(SessionId);
        buffer.WriteBuffer(Password.Span);
        buffer.WriteBool(ReadOnly);
        buffer.EndFrame(start);
    }
}

/// <summary>
/// The server's answer to a <see cref="ConnectRequest"/>: a ConnectResponse {int protocolVersion, int timeOut,
/// long sessionId, buffer passwd} plus the readOnly byte, or — when the server refuses the connection outright
/// (e.g. a read-only server and a client that does not accept one) — a bare 16-byte ReplyHeader with an error.
/// </summary>
internal readonly record struct ConnectResponse(int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly, ErrorCode Refusal)
{
    /// <summary>Largest handshake reply accepted.</summary>
    public const int MaxFrameLength = 4096;

    /// <summary>True when the server says the session expired (or never existed): timeout 0.</summary>
    public bool IsExpired => Refusal == ErrorCode.Ok && TimeoutMs <= 0;

    /// <summary>True when the server refused the connection with an error code.</summary>
    public bool IsRefused => Refusal != ErrorCode.Ok;

    /// <summary>Decodes a handshake reply frame (without its length prefix).</summary>
    public static ConnectResponse Read(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        if (frame.Length == ReplyHeader.Size)
        {
            var header = ReplyHeader.Read(ref reader);
            if (header.Error == ErrorCode.Ok)
            {
                throw new ProtocolException("a 16-byte handshake reply without an error code");
            }

            return new ConnectResponse(0, 0, [], false, header.Error);
        }

        reader.ReadInt(); // protocol version
        var timeout = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var password = reader.ReadBuffer();
        var readOnly = reader.Remaining >= 1 && reader.ReadBool();
        if (timeout > 0 && password.Length != ConnectRequest.PasswordLength)
        {
            throw new ProtocolException($"session password of {password.Length} bytes, expected {ConnectRequest.PasswordLength}");
        }

        return new ConnectResponse(timeout, sessionId, password, readOnly, ErrorCode.Ok);
    }
}
