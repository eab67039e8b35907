using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Testing.Tests;

/// <summary>
/// A bare-bones ZooKeeper client connection: sends a ConnectRequest and reads the ConnectResponse, nothing else.
/// Enough to give the harness's <c>cons</c>-based helpers a real session to find.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly Socket socket;

    private RawSession(Socket socket, long sessionId, int timeout, bool readOnly)
    {
        this.socket = socket;
        SessionId = sessionId;
        NegotiatedTimeout = timeout;
        IsReadOnly = readOnly;
    }

    public long SessionId { get; }

    public int NegotiatedTimeout { get; }

    /// <summary>The server accepted the session in read-only mode.</summary>
    public bool IsReadOnly { get; }

    public static async Task<RawSession> ConnectAsync(int port, int sessionTimeoutMs, CancellationToken cancellationToken, bool canBeReadOnly = false)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);

            // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 zero bytes), readOnly.
            var request = new byte[4 + 4 + 8 + 4 + 8 + 4 + 16 + 1];
            var span = request.AsSpan();
            BinaryPrimitives.WriteInt32BigEndian(span, request.Length - 4);
            BinaryPrimitives.WriteInt32BigEndian(span[4..], 0);
            BinaryPrimitives.WriteInt64BigEndian(span[8..], 0);
            BinaryPrimitives.WriteInt32BigEndian(span[16..], sessionTimeoutMs);
            BinaryPrimitives.WriteInt64BigEndian(span[20..], 0);
            BinaryPrimitives.WriteInt32BigEndian(span[28..], 16);
            span[^1] = canBeReadOnly ? (byte)1 : (byte)0;
            await socket.SendAsync(request, SocketFlags.None, cancellationToken);

            byte[] lengthBytes = await ReadExactlyAsync(socket, 4, cancellationToken);
            int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
            byte[] body = await ReadExactlyAsync(socket, length, cancellationToken);
            if (body.Length < 16)
            {
                throw new IOException($"Not a ConnectResponse: {length} bytes.");
            }

            // ConnectResponse: protocolVersion, timeOut, sessionId, passwd, readOnly.
            int timeout = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
            long sessionId = BinaryPrimitives.ReadInt64BigEndian(body.AsSpan(8));
            bool readOnly = body.Length >= 37 && body[36] != 0;
            return new RawSession(socket, sessionId, timeout, readOnly);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            read += n;
        }

        return buffer;
    }
}
