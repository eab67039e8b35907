using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Orleans.ZooKeeper.Testing.Tests;

/// <summary>
/// A bare-bones ZooKeeper client connection: sends a ConnectRequest and reads the ConnectResponse, nothing else.
/// Enough to give the harness's <c>cons</c>-based helpers a real session to find, and to check that a TLS port
/// speaks ZooKeeper after the handshake.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly Stream stream;

    private RawSession(Stream stream, long sessionId, int timeout, bool readOnly)
    {
        this.stream = stream;
        SessionId = sessionId;
        NegotiatedTimeout = timeout;
        IsReadOnly = readOnly;
    }

    public long SessionId { get; }

    public int NegotiatedTimeout { get; }

    /// <summary>The server accepted the session in read-only mode.</summary>
    public bool IsReadOnly { get; }

    /// <summary>The TLS stream of a session opened with <see cref="ConnectTlsAsync"/>; null for a plain one.</summary>
    public SslStream? Tls => stream as SslStream;

    /// <summary>Opens a plain TCP session on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<RawSession> ConnectAsync(int port, int sessionTimeoutMs, CancellationToken cancellationToken, bool canBeReadOnly = false)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await ConnectOverAsync(new NetworkStream(socket, ownsSocket: true), sessionTimeoutMs, cancellationToken, canBeReadOnly);
    }

    /// <summary>
    /// TLS handshake with 127.0.0.1:<paramref name="port"/> (<see cref="HandshakeAsync"/>), then a session over it.
    /// </summary>
    public static async Task<RawSession> ConnectTlsAsync(
        int port,
        SslClientAuthenticationOptions tlsOptions,
        int sessionTimeoutMs,
        CancellationToken cancellationToken,
        bool canBeReadOnly = false)
    {
        SslStream tls = await HandshakeAsync(port, tlsOptions, cancellationToken);
        return await ConnectOverAsync(tls, sessionTimeoutMs, cancellationToken, canBeReadOnly);
    }

    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/> and completes a TLS handshake as a client; the caller owns the
    /// returned stream (and through it the socket).
    /// </summary>
    /// <exception cref="AuthenticationException">The handshake failed (e.g. the certificate was rejected).</exception>
    public static async Task<SslStream> HandshakeAsync(int port, SslClientAuthenticationOptions tlsOptions, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SslStream? tls = null;
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(tlsOptions, cancellationToken);
            return tls;
        }
        catch
        {
            if (tls is not null)
            {
                await tls.DisposeAsync();
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a ConnectRequest over <paramref name="stream"/> and reads the ConnectResponse; the session owns the
    /// stream from then on (also when this fails, it is disposed).
    /// </summary>
    public static async Task<RawSession> ConnectOverAsync(Stream stream, int sessionTimeoutMs, CancellationToken cancellationToken, bool canBeReadOnly = false)
    {
        try
        {
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
            await stream.WriteAsync(request, cancellationToken);
            await stream.FlushAsync(cancellationToken);

            byte[] lengthBytes = await ReadExactlyAsync(stream, 4, cancellationToken);
            int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
            byte[] body = await ReadExactlyAsync(stream, length, cancellationToken);
            if (body.Length < 16)
            {
                throw new IOException($"Not a ConnectResponse: {length} bytes.");
            }

            // ConnectResponse: protocolVersion, timeOut, sessionId, passwd, readOnly.
            int timeout = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
            long sessionId = BinaryPrimitives.ReadInt64BigEndian(body.AsSpan(8));
            bool readOnly = body.Length >= 37 && body[36] != 0;
            return new RawSession(stream, sessionId, timeout, readOnly);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new IOException("The server closed the connection.", e);
        }

        return buffer;
    }
}
