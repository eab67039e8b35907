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
                var rejection = new CertificateRejection();
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                try
                {
                    ssl.AuthenticateAsClient(_tls.CreateAuthenticationOptions(server, rejection));
                }
                catch (Exception ex) when ((ex is AuthenticationException or IOException) && !deadline.IsCancellationRequested)
                {
                    throw new ConnectAttemptException(server, "TLS handshake failed: " + DescribeTlsFailure(ex, rejection), ex);
                }

                protocol = ssl.SslProtocol.ToString();
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

    private string DescribeTlsFailure(Exception ex, CertificateRejection rejection)
    {
        if (rejection.Reason is { } reason)
        {
            return reason;
        }

        var inner = ex.InnerException?.Message;
        var message = inner is null ? ex.Message : $"{ex.Message} ({inner})";
        if (ex is IOException || ex.InnerException is IOException)
        {
            return message + " — the server closed the connection during the TLS handshake: is this a plaintext port, or does the server require a client certificate"
                + (_tls!.HasClientCertificate ? " other than the one configured" : " (ZooKeeperTlsOptions.ClientCertificateFile)") + "?";
        }

        return message;
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
