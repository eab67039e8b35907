using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// A scripted stand-in for a ZooKeeper server, listening on 127.0.0.1 on an ephemeral port. Every accepted connection
/// runs the script given to the constructor; <see cref="FakeConnection.Index"/> (0, 1, 2, ...) lets a script behave
/// differently per connection. When the script returns, the connection is closed. Exceptions a script throws
/// (other than the client disconnecting) are collected; call <see cref="AssertNoScriptErrors"/> at the end of a test.
/// </summary>
internal sealed class FakeZooKeeperServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<FakeConnection, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<FakeConnection> _connections = [];
    private readonly List<Task> _handlers = [];
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly Task _acceptLoop;

    public FakeZooKeeperServer(Func<FakeConnection, Task> script)
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>host:port, as the client prints it (<see cref="ZooKeeperClient.CurrentServer"/>).</summary>
    public string Address => "127.0.0.1:" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    public IReadOnlyList<Exception> Errors => [.. _errors];

    /// <summary>Waits until the connection with this index has been accepted.</summary>
    public async Task<FakeConnection> WaitForConnectionAsync(int index, TimeSpan? timeout = null)
    {
        FakeConnection? found = null;
        await Wait.UntilAsync(
            () =>
            {
                lock (_connections)
                {
                    found = index < _connections.Count ? _connections[index] : null;
                }

                return found is not null;
            },
            timeout,
            $"connection #{index} to the fake server at {Address} (accepted so far: {ConnectionCount})");
        return found!;
    }

    public void AssertNoScriptErrors()
    {
        if (!_errors.IsEmpty)
        {
            Assert.Fail("The fake server's script failed:\n" + string.Join("\n", _errors.Select(e => e.ToString())));
        }
    }

    private async Task AcceptLoopAsync()
    {
        var index = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            var connection = new FakeConnection(socket, index++, _stop.Token);
            lock (_connections)
            {
                _connections.Add(connection);
                _handlers.Add(Task.Run(() => RunScriptAsync(connection)));
            }
        }
    }

    private async Task RunScriptAsync(FakeConnection connection)
    {
        try
        {
            await _script(connection);
        }
        catch (Exception ex) when (_stop.IsCancellationRequested || IsDisconnect(ex))
        {
        }
        catch (Exception ex)
        {
            _errors.Enqueue(new InvalidOperationException($"fake connection #{connection.Index}: {ex.Message}", ex));
        }
        finally
        {
            connection.Close();
        }
    }

    private static bool IsDisconnect(Exception ex) => ex is IOException or SocketException or ObjectDisposedException;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Task[] handlers;
        lock (_connections)
        {
            foreach (var c in _connections)
            {
                c.Close();
            }

            handlers = [_acceptLoop, .. _handlers];
        }

        try
        {
            await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Scripts end with the sockets; nothing else to report here.
        }

        _listener.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One accepted connection of a <see cref="FakeZooKeeperServer"/>, with helpers to speak (or garble) the protocol.</summary>
internal sealed class FakeConnection
{
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationToken _stop;
    private readonly Stopwatch _age = Stopwatch.StartNew();
    private readonly TaskCompletionSource<TimeSpan> _clientClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<FakeRequest> _requests = new();

    public FakeConnection(Socket socket, int index, CancellationToken stop)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _stop = stop;
        Index = index;
    }

    /// <summary>0 for the first connection the server accepted, 1 for the second, ...</summary>
    public int Index { get; }

    public DateTimeOffset AcceptedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Time since the connection was accepted.</summary>
    public TimeSpan Age => _age.Elapsed;

    /// <summary>Completes (with <see cref="Age"/> at that moment) once a read saw the client close or reset the connection.</summary>
    public Task<TimeSpan> ClientClosed => _clientClosed.Task;

    /// <summary>The ConnectRequest, once read.</summary>
    public FakeConnectRequest? ConnectRequest { get; private set; }

    /// <summary>Every request read so far (pings excluded).</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    public void Close()
    {
        try
        {
            _stream.Dispose();
        }
        catch (Exception)
        {
            // Closing twice or after a reset is fine.
        }
    }

    /// <summary>Closes with a TCP reset instead of a FIN.</summary>
    public void Reset()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception)
        {
            // Already closed.
        }

        Close();
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes) => await _stream.WriteAsync(bytes, _stop);

    /// <summary>Sends a frame with a correct length prefix.</summary>
    public Task SendFrameAsync(byte[] payload) => SendRawAsync(Jute.Frame(payload));

    /// <summary>Sends a reply: ReplyHeader {xid, zxid, err} + body, framed.</summary>
    public Task SendReplyAsync(int xid, int err = 0, byte[]? body = null, long zxid = 0)
        => SendFrameAsync(Jute.Reply(xid, err, body, zxid));

    /// <summary>Reads one length-prefixed frame. Throws <see cref="EndOfStreamException"/> when the client closed.</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var prefix = new byte[4];
        await ReadExactlyAsync(prefix, timeout ?? DefaultReadTimeout);
        var len = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (len < 0 || len > 16 * 1024 * 1024)
        {
            throw new InvalidDataException($"the client sent a frame length of {len} (0x{len:x8})");
        }

        var frame = new byte[len];
        await ReadExactlyAsync(frame, timeout ?? DefaultReadTimeout);
        return frame;
    }

    /// <summary>Reads the ConnectRequest and checks its layout (protocol doc §2).</summary>
    public async Task<FakeConnectRequest> ReadConnectRequestAsync(TimeSpan? timeout = null)
    {
        var frame = await ReadFrameAsync(timeout);
        if (frame.Length is not (44 or 45))
        {
            throw new InvalidDataException($"ConnectRequest of {frame.Length} bytes, expected 45 (or 44 without the read-only flag)");
        }

        var s = frame.AsSpan();
        var passwordLength = BinaryPrimitives.ReadInt32BigEndian(s[24..]);
        if (passwordLength != 16)
        {
            throw new InvalidDataException($"ConnectRequest password of {passwordLength} bytes, expected 16");
        }

        var request = new FakeConnectRequest(
            ProtocolVersion: BinaryPrimitives.ReadInt32BigEndian(s),
            LastZxidSeen: BinaryPrimitives.ReadInt64BigEndian(s[4..]),
            TimeoutMs: BinaryPrimitives.ReadInt32BigEndian(s[12..]),
            SessionId: BinaryPrimitives.ReadInt64BigEndian(s[16..]),
            Password: s.Slice(28, 16).ToArray(),
            ReadOnly: frame.Length == 45 && frame[44] != 0);
        ConnectRequest = request;
        return request;
    }

    /// <summary>Sends a ConnectResponse: protocolVersion, timeOut, sessionId, passwd buffer, readOnly byte (37 bytes).</summary>
    public Task SendConnectResponseAsync(long sessionId, int timeoutMs = 30_000, byte[]? password = null, bool readOnly = false, int protocolVersion = 0)
        => SendFrameAsync(new JuteWriter()
            .Int(protocolVersion)
            .Int(timeoutMs)
            .Long(sessionId)
            .Buffer(password ?? Jute.PasswordFor(sessionId))
            .Bool(readOnly)
            .ToArray());

    /// <summary>Reads the ConnectRequest and accepts it with a valid ConnectResponse.</summary>
    public async Task<FakeConnectRequest> HandshakeAsync(long sessionId, int timeoutMs = 30_000, byte[]? password = null)
    {
        var request = await ReadConnectRequestAsync();
        await SendConnectResponseAsync(sessionId, timeoutMs, password);
        return request;
    }

    /// <summary>Reads the next request, answering (and skipping) pings on the way.</summary>
    public async Task<FakeRequest> ReadRequestAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(timeout);
            if (frame.Length < 8)
            {
                throw new InvalidDataException($"request frame of {frame.Length} bytes, shorter than a RequestHeader");
            }

            var xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            var type = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            if (xid == -2 && type == 11)
            {
                await SendReplyAsync(-2);
                continue;
            }

            var request = new FakeRequest(xid, type, frame[8..]);
            _requests.Enqueue(request);
            return request;
        }
    }

    /// <summary>
    /// Answers requests until the client sends closeSession (answered, then the connection ends) or disconnects.
    /// <paramref name="respond"/> sends the reply for every other request.
    /// </summary>
    public async Task ServeAsync(Func<FakeRequest, Task> respond)
    {
        while (true)
        {
            FakeRequest request;
            try
            {
                request = await ReadRequestAsync(TimeSpan.FromMinutes(1));
            }
            catch (EndOfStreamException)
            {
                return;
            }

            if (request.Type == -11)
            {
                await SendReplyAsync(request.Xid);
                return;
            }

            await respond(request);
        }
    }

    /// <summary>Reads and discards everything until the client closes the connection; returns <see cref="Age"/> then.</summary>
    public async Task<TimeSpan> WaitForClientCloseAsync(TimeSpan? timeout = null)
    {
        var buffer = new byte[4096];
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        cts.CancelAfter(timeout ?? DefaultReadTimeout);
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            throw new TimeoutException($"the client did not close fake connection #{Index} within {(timeout ?? DefaultReadTimeout).TotalSeconds:0.#} s");
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        return MarkClosed();
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        cts.CancelAfter(timeout);
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await _stream.ReadAsync(buffer[read..], cts.Token);
                if (n == 0)
                {
                    throw new EndOfStreamException($"the client closed fake connection #{Index} after {read} of {buffer.Length} bytes");
                }

                read += n;
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            throw new TimeoutException($"fake connection #{Index}: nothing (more) from the client within {timeout.TotalSeconds:0.#} s");
        }
        catch (IOException)
        {
            MarkClosed();
            throw;
        }
    }

    private TimeSpan MarkClosed()
    {
        _clientClosed.TrySetResult(_age.Elapsed);
        return _clientClosed.Task.Result;
    }
}

internal sealed record FakeConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly);

/// <summary>A request as the fake server received it: RequestHeader {xid, type} and the raw body.</summary>
internal sealed record FakeRequest(int Xid, int Type, byte[] Body)
{
    /// <summary>The leading ustring of the body: the path of every path-based request.</summary>
    public string Path
    {
        get
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(Body);
            return Encoding.UTF8.GetString(Body, 4, len);
        }
    }
}

/// <summary>A tiny big-endian jute encoder, independent of the client's FrameBuffer.</summary>
internal sealed class JuteWriter
{
    private readonly MemoryStream _out = new();

    public JuteWriter Int(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        _out.Write(b);
        return this;
    }

    public JuteWriter Long(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        _out.Write(b);
        return this;
    }

    public JuteWriter Bool(bool value)
    {
        _out.WriteByte(value ? (byte)1 : (byte)0);
        return this;
    }

    public JuteWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _out.Write(bytes);
        return this;
    }

    /// <summary>buffer: int length + bytes; null is length -1.</summary>
    public JuteWriter Buffer(byte[]? value) => value is null ? Int(-1) : Int(value.Length).Raw(value);

    /// <summary>ustring: int UTF-8 length + bytes; null is length -1.</summary>
    public JuteWriter String(string? value) => value is null ? Int(-1) : Buffer(Encoding.UTF8.GetBytes(value));

    public JuteWriter Strings(IReadOnlyList<string> values)
    {
        Int(values.Count);
        foreach (var v in values)
        {
            String(v);
        }

        return this;
    }

    /// <summary>Stat: czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid.</summary>
    public JuteWriter Stat(Stat s) => Long(s.Czxid).Long(s.Mzxid).Long(s.Ctime).Long(s.Mtime)
        .Int(s.Version).Int(s.Cversion).Int(s.Aversion).Long(s.EphemeralOwner)
        .Int(s.DataLength).Int(s.NumChildren).Long(s.Pzxid);

    public byte[] ToArray() => _out.ToArray();
}

internal static class Jute
{
    /// <summary>A plausible Stat for fake replies.</summary>
    public static readonly Stat SampleStat = new(1, 2, 1_700_000_000_000, 1_700_000_000_001, 3, 4, 5, 0, 6, 7, 8);

    public static byte[] Frame(byte[] payload)
    {
        var framed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, payload.Length);
        payload.CopyTo(framed, 4);
        return framed;
    }

    public static byte[] Reply(int xid, int err = 0, byte[]? body = null, long zxid = 0)
        => new JuteWriter().Int(xid).Long(zxid).Int(err).Raw(body ?? []).ToArray();

    public static byte[] Int32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    /// <summary>getData reply body: buffer data, Stat.</summary>
    public static byte[] DataBody(byte[] data, Stat? stat = null)
        => new JuteWriter().Buffer(data).Stat(stat ?? SampleStat with { DataLength = data.Length }).ToArray();

    /// <summary>A deterministic 16-byte session password.</summary>
    public static byte[] PasswordFor(long sessionId)
    {
        var p = new byte[16];
        new Random(unchecked((int)sessionId)).NextBytes(p);
        return p;
    }

    public static byte[] RandomBytes(int seed, int count)
    {
        var b = new byte[count];
        new Random(seed).NextBytes(b);
        return b;
    }
}
