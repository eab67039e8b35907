using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Orleans.ZooKeeper.Client.Transport;

/// <summary>
/// Opens the byte stream to one server: a TCP connection (TCP_NODELAY), wrapped in TLS when configured. Knows nothing
/// of the ZooKeeper protocol. Failures are <see cref="ConnectAttemptException"/>s that name the server and the cause.
/// </summary>
internal sealed class TransportConnector
{
    private readonly TlsClientSettings? _tls;

    public TransportConnector(ZooKeeperTlsOptions? tls)
    {
        _tls = tls is null ? null : TlsClientSettings.Load(tls);
    }

    /// <summary>True when connections use TLS.</summary>
    public bool IsTls => _tls is not null;

    /// <summary>
    /// Connects (and runs the TLS handshake) on the calling thread, with blocking socket calls: the socket is never
    /// put into non-blocking mode, so the reader's one blocking read per batch of replies stays a single wake-up.
    /// When <paramref name="deadline"/> fires the socket is closed, which ends any blocked call; the deadline keeps
    /// guarding the returned stream until <see cref="TransportStream.EndDeadline"/> (after the session handshake).
    /// </summary>
    public TransportStream Connect(ServerAddress server, CancellationToken deadline)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(server.Host, out var ip))
        {
            addresses = [ip];
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddressesAsync(server.Host, deadline).GetAwaiter().GetResult();
            }
            catch (SocketException ex)
            {
                throw new ConnectAttemptException(server, $"the host name cannot be resolved ({ex.SocketErrorCode})", ex);
            }
            catch (OperationCanceledException ex)
            {
                throw new ConnectAttemptException(server, "resolving the host name took longer than the connect timeout", ex);
            }

            if (addresses.Length == 0)
            {
                throw new ConnectAttemptException(server, "the host name resolves to no address", null);
            }
        }

        var address = addresses[Random.Shared.Next(addresses.Length)];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var guard = deadline.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
        var phase = "connecting";
        Stream? stream = null;
        try
        {
            socket.Connect(new IPEndPoint(address, server.Port));
            stream = new NetworkStream(socket, ownsSocket: true);
            string? protocol = null;
            if (_tls is not null)
            {
                phase = "in the TLS handshake";
                var observation = new TlsHandshakeObservation();
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                try
                {
                    ssl.AuthenticateAsClient(_tls.CreateAuthenticationOptions(server, observation));
                }
                catch (Exception ex) when ((ex is AuthenticationException or IOException) && !deadline.IsCancellationRequested)
                {
                    throw new ConnectAttemptException(server, "TLS handshake failed: " + DescribeTlsFailure(ex, observation), ex);
                }

                protocol = ssl.SslProtocol.ToString();
                if ((observation.ClientCertificateRequested || ssl.LocalCertificate is not null) && ssl.SslProtocol == SslProtocols.Tls13)
                {
                    // The server asked for a client certificate (and got ours, or none). With TLS 1.3 the client's side
                    // of the handshake is done before the server checks it, so a refusal shows only on the first
                    // read, as a bare decryption error.
                    // A server may also close (or reset) without a TLS alert: then it refused the certificate or it is
                    // not serving, and the message says both.
                    stream = new FirstReadExplainingStream(ssl, ex => ex is null || IsSocketError(ex)
                        ? $"the server closed the TLS connection right after the handshake without an answer ({(ex is null ? "end of stream" : Innermost(ex))}): either {DescribeClientCertificateRefusal(null)}, or it is not serving (in a quorum, or read-only while the client does not accept that)"
                        : "the server ended the TLS connection right after the handshake: " + DescribeClientCertificateRefusal(ex));
                }
            }

            return new TransportStream(server, socket, stream, protocol, guard);
        }
        catch (Exception ex) when (ex is not ConnectAttemptException)
        {
            guard.Dispose();
            stream?.Dispose();
            socket.Dispose();
            if (deadline.IsCancellationRequested)
            {
                throw new ConnectAttemptException(server, $"no answer within the connect timeout while {phase}", ex);
            }

            if (ex is SocketException se)
            {
                throw new ConnectAttemptException(server, $"TCP connect failed ({se.SocketErrorCode})", ex);
            }

            throw new ConnectAttemptException(server, $"{phase}: {ex.Message}", ex);
        }
        catch
        {
            guard.Dispose();
            stream?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private string DescribeTlsFailure(Exception ex, TlsHandshakeObservation observation)
    {
        if (observation.Reason is { } reason)
        {
            return reason;
        }

        if (observation.ClientCertificateRequested && !IsSocketError(ex))
        {
            return DescribeClientCertificateRefusal(ex);
        }

        if (ex is IOException || ex.InnerException is IOException)
        {
            return $"the server closed the connection during the TLS handshake ({Innermost(ex)}): is this a plaintext port? The connect string must name the servers' secure client ports.";
        }

        var innermost = Innermost(ex);
        var message = innermost == ex.Message ? innermost : $"{ex.Message} ({innermost})";
        return _tls!.ClientCertificateSubject is { } subject ? $"{message}; client certificate configured: '{subject}'" : message;
    }

    /// <summary>The handshake failed after the server asked for a client certificate: most likely it refused ours, or that we had none.</summary>
    private string DescribeClientCertificateRefusal(Exception? ex)
    {
        var cause = ex is null ? string.Empty : $" ({Innermost(ex)})";
        return _tls!.ClientCertificateSubject is { } subject
            ? $"the server asked for a client certificate and refused the one configured ('{subject}'): is it issued by a CA the server trusts, and valid?{cause}"
            : $"the server requires a client certificate and none is configured (set ZooKeeperTlsOptions.ClientCertificateFile){cause}";
    }

    /// <summary>True when the failure came from the TCP connection itself (e.g. reset), not from TLS.</summary>
    private static bool IsSocketError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The most specific message of an exception chain (on Linux OpenSSL's reason, e.g. "sslv3 alert bad certificate").</summary>
    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner)
        {
            ex = inner;
        }

        return ex.Message;
    }
}

/// <summary>
/// Passes everything through to the TLS stream, but when the first read fails or meets the end of the stream (before
/// any byte arrived) throws an <see cref="IOException"/> whose message explains it, when <c>explain</c> has an
/// explanation (it gets the failure, or null for the end of the stream; see <see cref="TransportConnector"/>).
/// </summary>
internal sealed class FirstReadExplainingStream(Stream inner, Func<Exception?, string?> explain) : Stream
{
    private bool _received;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_received)
        {
            return inner.Read(buffer);
        }

        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (IOException ex) when (explain(ex) is { } explanation)
        {
            throw new IOException(explanation, ex);
        }

        _received = n > 0;
        if (n == 0 && buffer.Length > 0 && explain(null) is { } closed)
        {
            // Closed before a single byte came back (null: no exception, the end of the stream).
            throw new IOException(closed);
        }

        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>One open connection's stream (plain <see cref="NetworkStream"/> or <see cref="SslStream"/>) and its socket.</summary>
internal sealed class TransportStream : IDisposable
{
    private readonly Socket _socket;

    private CancellationTokenRegistration _deadline;

    public TransportStream(ServerAddress server, Socket socket, Stream stream, string? tlsProtocol, CancellationTokenRegistration deadline)
    {
        Server = server;
        _socket = socket;
        Stream = stream;
        TlsProtocol = tlsProtocol;
        _deadline = deadline;
    }

    /// <summary>Stops the connect deadline from closing the socket; false when it already did.</summary>
    public bool EndDeadline()
    {
        var token = _deadline.Token;
        var unregistered = _deadline.Unregister();
        _deadline = default;
        return unregistered || !token.IsCancellationRequested;
    }

    public ServerAddress Server { get; }

    public Stream Stream { get; }

    /// <summary>The negotiated TLS version (e.g. Tls13), or null for plaintext.</summary>
    public string? TlsProtocol { get; }

    /// <summary>Bytes waiting in the socket's receive buffer (encrypted bytes count too): a sign of life while the reader is behind.</summary>
    public int Available
    {
        get
        {
            try
            {
                return _socket.Available;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    /// <summary>Closes the stream and the socket; blocked reads and writes fail at once. Idempotent.</summary>
    public void Dispose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        try
        {
            Stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }

        _socket.Dispose();
        _deadline.Dispose();
    }
}

/// <summary>One connection attempt to one server failed; the message names the server and the cause.</summary>
internal sealed class ConnectAttemptException : Exception
{
    public ConnectAttemptException(ServerAddress server, string reason, Exception? inner)
        : base($"{server}: {reason}", inner)
    {
        Server = server;
    }

    public ServerAddress Server { get; }
}
