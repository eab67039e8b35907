using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>A request body that serializes itself after the request header.</summary>
internal interface IRequestBody
{
    OpCode Op { get; }

    void Write(FrameBuffer buffer, ConnectionString chroot);
}

internal enum EnqueueResult
{
    Enqueued,
    Closed,
    TooLarge,
}

/// <summary>
/// One TCP connection to one server: the handshake, a write loop that flushes everything queued since the last
/// flush in one send, a read loop that matches replies to the FIFO of pending requests, and a heartbeat that
/// pings when idle and drops the connection when the server goes quiet for the read timeout.
/// </summary>
internal sealed class Connection
{
    private const int ConnectRequestLength = 4 + 8 + 4 + 8 + 4 + 16 + 1;

    private readonly ZooKeeperSession _session;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly object _lock = new();
    private readonly Queue<PendingRequest> _pending = new();
    private readonly Queue<TaskCompletionSource?> _authWaiters = new();
    // Wakes the write loop. A single-reader channel reuses one waiter; SemaphoreSlim.WaitAsync allocated a TaskNode
    // (~88 B) each time the loop went idle, i.e. once per request in request/response use.
    private readonly Channel<bool> _writeSignal = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<Exception> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cts = new();
    private readonly int _maxPacket;
    private FrameBuffer _active = new();
    private FrameBuffer _flushing = new();
    private bool _writeScheduled;
    private bool _flushBusy; // the _flushing buffer is being written (by the write loop or by a caller)
    private bool _closed;
    private bool _pingOutstanding;
    private long _lastSendTicks;
    private long _lastReceiveTicks;
    private long _firstSendAfterReceiveTicks;

    private Connection(ZooKeeperSession session, ServerAddress server, Socket socket, int maxPacket)
    {
        _session = session;
        Server = server;
        _socket = socket;
        _maxPacket = maxPacket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _lastSendTicks = _lastReceiveTicks = Environment.TickCount64;
    }

    public ServerAddress Server { get; }

    public int NegotiatedTimeoutMs { get; private set; }

    public long SessionId { get; private set; }

    public byte[] Password { get; private set; } = new byte[16];

    public bool IsReadOnly { get; private set; }

    /// <summary>True when the server answered the handshake saying the session expired.</summary>
    public bool IsExpired { get; private set; }

    /// <summary>Completes with the reason once the connection is closed.</summary>
    public Task<Exception> Completion => _completion.Task;

    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Opens a TCP connection and performs the session handshake within <paramref name="timeout"/>.</summary>
    public static async Task<Connection> OpenAsync(
        ZooKeeperSession session,
        ServerAddress server,
        long sessionId,
        byte[] password,
        long lastZxid,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var options = session.Options;
        Socket? socket = null;
        Connection? connection = null;
        try
        {
            var addresses = IPAddress.TryParse(server.Host, out var ip)
                ? [ip]
                : await Dns.GetHostAddressesAsync(server.Host, cts.Token).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            var address = addresses[Random.Shared.Next(addresses.Length)];
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(address, server.Port), cts.Token).ConfigureAwait(false);
            connection = new Connection(session, server, socket, options.MaxPacketSize);
            socket = null;

            // ConnectRequest: no request header.
            var request = new byte[4 + ConnectRequestLength];
            var span = request.AsSpan();
            BinaryPrimitives.WriteInt32BigEndian(span, ConnectRequestLength);
            BinaryPrimitives.WriteInt32BigEndian(span[4..], 0);
            BinaryPrimitives.WriteInt64BigEndian(span[8..], lastZxid);
            BinaryPrimitives.WriteInt32BigEndian(span[16..], (int)options.SessionTimeout.TotalMilliseconds);
            BinaryPrimitives.WriteInt64BigEndian(span[20..], sessionId);
            BinaryPrimitives.WriteInt32BigEndian(span[28..], 16);
            password.AsSpan(0, 16).CopyTo(span[32..]);
            span[48] = options.CanBeReadOnly ? (byte)1 : (byte)0;
            await connection._stream.WriteAsync(request, cts.Token).ConfigureAwait(false);

            await connection.ReadHandshakeAsync(cts.Token).ConfigureAwait(false);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            connection?.Abort(new TimeoutException("handshake timed out"));
            throw new TimeoutException($"connecting to {server} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            socket?.Dispose();
            connection?.Abort(new IOException("handshake failed"));
            throw;
        }
    }

    private async Task ReadHandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                var len = ReadLength(buffer);
                if (len < 16 || len > 4096)
                {
                    throw new ProtocolException($"invalid handshake reply length {len}");
                }

                if (buffer.Length >= 4 + len)
                {
                    var frame = buffer.Slice(4, len).ToArray();
                    _reader.AdvanceTo(buffer.GetPosition(4 + len));
                    ParseHandshake(frame);
                    return;
                }
            }

            if (result.IsCompleted)
            {
                throw new IOException("the server closed the connection during the handshake");
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private void ParseHandshake(byte[] frame)
    {
        var r = new JuteReader(frame);
        if (frame.Length == 16)
        {
            // A bare ReplyHeader: the server refused the connection (e.g. NotReadOnly).
            r.ReadInt();
            r.ReadLong();
            var err = (ErrorCode)r.ReadInt();
            throw ZooKeeperExceptions.Create(err, null, "the server refused the session handshake");
        }

        r.ReadInt(); // protocol version
        var timeout = r.ReadInt();
        var sessionId = r.ReadLong();
        var password = r.ReadBuffer();
        var readOnly = r.Remaining >= 1 && r.ReadBool();
        if (timeout <= 0)
        {
            IsExpired = true;
            return;
        }

        if (password.Length != 16)
        {
            throw new ProtocolException($"session password of {password.Length} bytes, expected 16");
        }

        NegotiatedTimeoutMs = timeout;
        SessionId = sessionId;
        Password = password;
        IsReadOnly = readOnly;
    }

    /// <summary>Starts the read, write and heartbeat loops.</summary>
    public void Start()
    {
        _ = Task.Run(ReadLoopAsync);
        _ = Task.Run(WriteLoopAsync);
        new Thread(HeartbeatLoop) { IsBackground = true, Name = "ZooKeeper heartbeat " + Server }.Start();
    }

    /// <summary>Serializes a request into the outgoing batch and queues it for its reply.</summary>
    public EnqueueResult TryEnqueue<TBody>(ref TBody body, PendingRequest request, out int size)
        where TBody : struct, IRequestBody
    {
        FrameBuffer? inline = null;
        lock (_lock)
        {
            if (_closed)
            {
                size = 0;
                return EnqueueResult.Closed;
            }

            var xid = _session.NextXid();
            var start = _active.BeginFrame();
            try
            {
                _active.WriteInt(xid);
                _active.WriteInt((int)body.Op);
                body.Write(_active, _session.Chroot);
            }
            catch
            {
                // Never leave half a frame in the batch: the stream would be corrupt for every later request.
                _active.Rollback(start);
                throw;
            }

            size = _active.EndFrame(start);
            if (size > _maxPacket)
            {
                _active.Rollback(start);
                return EnqueueResult.TooLarge;
            }

            request.Xid = xid;
            request.Op = body.Op;
            _pending.Enqueue(request);
            // Nothing else in flight or queued (request/response use): send from this thread, saving the hop to
            // the write loop. Deeper pipelines keep batching through the write loop.
            inline = _pending.Count == 1 ? TakeBatchForInlineFlush() : null;
            if (inline is null)
            {
                ScheduleWrite();
            }
        }

        if (inline is not null)
        {
            FlushInline(inline);
        }

        return EnqueueResult.Enqueued;
    }

    private void FlushInline(FrameBuffer batch)
    {
        ValueTask write;
        try
        {
            // Completes synchronously unless the socket's send buffer is full.
            write = _stream.WriteAsync(batch.WrittenMemory, _cts.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort(ex);
            return;
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            EndFlush(batch);
        }
        else
        {
            _ = AwaitFlushAsync(write, batch);
        }
    }

    private async Task AwaitFlushAsync(ValueTask write, FrameBuffer batch)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort(ex);
            return;
        }

        EndFlush(batch);
    }

    private void EndFlush(FrameBuffer batch)
    {
        NoteSend();
        lock (_lock)
        {
            batch.Reset();
            _flushBusy = false;
            if (_writeScheduled)
            {
                _writeSignal.Writer.TryWrite(true); // frames queued meanwhile: the write loop skipped them while busy
            }
        }
    }

    /// <summary>Queues an auth packet (xid -4); <paramref name="waiter"/> completes with its reply.</summary>
    public bool TryEnqueueAuth(AuthInfo auth, TaskCompletionSource? waiter)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            var start = _active.BeginFrame();
            try
            {
                _active.WriteInt(Xids.Auth);
                _active.WriteInt((int)OpCode.Auth);
                _active.WriteInt(0);
                _active.WriteString(auth.Scheme);
                _active.WriteBuffer(auth.Auth);
            }
            catch
            {
                _active.Rollback(start);
                throw;
            }

            _active.EndFrame(start);
            _authWaiters.Enqueue(waiter);
            ScheduleWrite();
            return true;
        }
    }

    /// <summary>Queues SetWatches/SetWatches2 packets (xid -8), batched under the packet limit.</summary>
    public void EnqueueSetWatches(WatchSnapshot watches, long relativeZxid)
    {
        const int BatchPathBytes = 128 * 1024;
        var useV2 = watches.HasPersistent;
        var lists = useV2
            ? new[] { watches.Data, watches.Exist, watches.Child, watches.Persistent, watches.PersistentRecursive }
            : new[] { watches.Data, watches.Exist, watches.Child };
        var indexes = new int[lists.Length];
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            while (true)
            {
                var budget = Math.Min(BatchPathBytes, _maxPacket / 2);
                var batch = new List<string>[lists.Length];
                var any = false;
                for (var l = 0; l < lists.Length; l++)
                {
                    batch[l] = [];
                    while (indexes[l] < lists[l].Count)
                    {
                        var p = lists[l][indexes[l]];
                        var cost = System.Text.Encoding.UTF8.GetByteCount(p) + 4;
                        if (any && cost > budget)
                        {
                            break;
                        }

                        batch[l].Add(p);
                        budget -= cost;
                        any = true;
                        indexes[l]++;
                    }
                }

                if (!any)
                {
                    break;
                }

                var start = _active.BeginFrame();
                _active.WriteInt(Xids.SetWatches);
                _active.WriteInt((int)(useV2 ? OpCode.SetWatches2 : OpCode.SetWatches));
                _active.WriteLong(relativeZxid);
                foreach (var list in batch)
                {
                    _active.WriteStringVector(list);
                }

                _active.EndFrame(start);
            }

            ScheduleWrite();
        }
    }

    private void EnqueuePing()
    {
        FrameBuffer? inline = null;
        lock (_lock)
        {
            if (_closed || _pingOutstanding)
            {
                return;
            }

            var start = _active.BeginFrame();
            _active.WriteInt(Xids.Ping);
            _active.WriteInt((int)OpCode.Ping);
            _active.EndFrame(start);
            _pingOutstanding = true;
            // Send from the heartbeat thread itself, so a starved thread pool cannot keep the ping from the
            // server (and the session from expiring).
            inline = TakeBatchForInlineFlush();
            if (inline is null)
            {
                ScheduleWrite();
            }
        }

        if (inline is not null)
        {
            FlushInline(inline);
        }
    }

    /// <summary>
    /// Under the lock: when no flush is running or scheduled, takes the outgoing batch for the caller to send itself
    /// (<see cref="FlushInline"/>); otherwise null, and the write loop sends it.
    /// </summary>
    private FrameBuffer? TakeBatchForInlineFlush()
    {
        return _writeScheduled || _flushBusy ? null : SwapBatch();
    }

    /// <summary>Under the lock: hands the filled buffer to a flusher and gives writers the empty one.</summary>
    private FrameBuffer SwapBatch()
    {
        var batch = _active;
        _active = _flushing;
        _flushing = batch;
        _flushBusy = true;
        return batch;
    }

    /// <summary>Notes a send: the first one after the last receive starts the read-timeout clock.</summary>
    private void NoteSend()
    {
        var now = Environment.TickCount64;
        Volatile.Write(ref _lastSendTicks, now);
        if (Volatile.Read(ref _firstSendAfterReceiveTicks) <= Volatile.Read(ref _lastReceiveTicks))
        {
            Volatile.Write(ref _firstSendAfterReceiveTicks, now);
        }
    }

    private void ScheduleWrite()
    {
        if (!_writeScheduled)
        {
            _writeScheduled = true;
            _writeSignal.Writer.TryWrite(true);
        }
    }

    /// <summary>Closes the connection and fails every request still waiting for a reply. Idempotent.</summary>
    public void Abort(Exception reason)
    {
        List<PendingRequest> pending;
        List<TaskCompletionSource?> authWaiters;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            pending = [.. _pending];
            _pending.Clear();
            authWaiters = [.. _authWaiters];
            _authWaiters.Clear();
        }

        _cts.Cancel();
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }

        _writeSignal.Writer.TryWrite(true);
        var message = $"connection to {Server} lost: {reason.Message}";
        foreach (var request in pending)
        {
            request.OnFailure(new ConnectionLossException(request.Path, message, reason));
        }

        foreach (var waiter in authWaiters)
        {
            waiter?.TrySetException(new ConnectionLossException(null, message, reason));
        }

        _completion.TrySetResult(reason);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                if (!await _writeSignal.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    break;
                }

                while (_writeSignal.Reader.TryRead(out _))
                {
                }

                FrameBuffer batch;
                lock (_lock)
                {
                    if (_closed)
                    {
                        break;
                    }

                    if (_flushBusy)
                    {
                        continue; // a caller is flushing inline; EndFlush signals again since _writeScheduled is set
                    }

                    batch = SwapBatch();
                    _writeScheduled = false;
                }

                if (batch.Length > 0)
                {
                    await _stream.WriteAsync(batch.WrittenMemory, _cts.Token).ConfigureAwait(false);
                    NoteSend();
                }

                lock (_lock)
                {
                    batch.Reset();
                    _flushBusy = false;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort(ex);
        }
        finally
        {
            bool flushing;
            lock (_lock)
            {
                _closed = true;
                flushing = _flushBusy;
            }

            // A caller's inline send may still be using its buffer: then leave both to the GC rather than return
            // an array to the pool that a send is still reading.
            if (!flushing)
            {
                _active.Dispose();
                _flushing.Dispose();
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception reason;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (buffer.Length >= 4)
                {
                    var len = ReadLength(buffer);
                    if (len < 16 || len > _maxPacket)
                    {
                        throw new ProtocolException($"reply frame length {len} is outside 16..{_maxPacket} (ZooKeeperClientOptions.MaxPacketSize)");
                    }

                    if (buffer.Length < 4 + len)
                    {
                        break;
                    }

                    var frame = buffer.Slice(4, len);
                    if (frame.IsSingleSegment)
                    {
                        HandleFrame(frame.FirstSpan);
                    }
                    else
                    {
                        var copy = ArrayPool<byte>.Shared.Rent(len);
                        try
                        {
                            frame.CopyTo(copy);
                            HandleFrame(copy.AsSpan(0, len));
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(copy);
                        }
                    }

                    buffer = buffer.Slice(4 + len);
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                if (result.IsCompleted)
                {
                    throw new EndOfStreamException("the server closed the connection");
                }
            }
        }
        catch (ProtocolException ex)
        {
            _session.OnProtocolError(this, ex);
            reason = ex;
        }
        catch (Exception ex)
        {
            reason = ex;
        }

        Abort(reason);
        await _reader.CompleteAsync().ConfigureAwait(false);
    }

    private static int ReadLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    private void HandleFrame(ReadOnlySpan<byte> frame)
    {
        var r = new JuteReader(frame);
        var xid = r.ReadInt();
        var zxid = r.ReadLong();
        var err = (ErrorCode)r.ReadInt();
        var body = frame[16..];
        switch (xid)
        {
            case Xids.Notification:
                {
                    var type = (EventType)r.ReadInt();
                    var state = (KeeperState)r.ReadInt();
                    var path = r.ReadNullableString();
                    _session.OnNotification(type, state, path);
                    return;
                }

            case Xids.Ping:
                lock (_lock)
                {
                    _pingOutstanding = false;
                }

                return;

            case Xids.Auth:
                {
                    TaskCompletionSource? waiter = null;
                    lock (_lock)
                    {
                        _authWaiters.TryDequeue(out waiter);
                    }

                    if (err == ErrorCode.Ok)
                    {
                        waiter?.TrySetResult();
                    }
                    else
                    {
                        waiter?.TrySetException(ZooKeeperExceptions.Create(err, null));
                        _session.OnAuthFailed(this, err);
                    }

                    return;
                }

            case Xids.SetWatches:
                if (err != ErrorCode.Ok)
                {
                    _session.OnSetWatchesFailed(err);
                }

                return;
        }

        PendingRequest? request;
        lock (_lock)
        {
            _pending.TryDequeue(out request);
        }

        if (request is null)
        {
            throw new ProtocolException($"reply with xid {xid} but no request is pending");
        }

        if (request.Xid != xid)
        {
            request.OnFailure(new ConnectionLossException(request.Path, $"the server replied out of order (xid {xid}, expected {request.Xid})"));
            throw new ProtocolException($"reply xid {xid} out of order, expected {request.Xid}");
        }

        _session.Watches.OnReply(request.Watch, err);
        request.OnReply(_session, err, body);

        // Only a reply that decoded advances the zxid this session has seen.
        if (zxid > 0)
        {
            _session.ObserveZxid(zxid);
        }
    }

    /// <summary>
    /// Pings when idle and drops the connection after the read timeout. Runs on its own thread, so a busy thread
    /// pool delays neither the check nor the ping; bytes already waiting in the socket count as a sign of life (the
    /// server answered, only our read loop is behind).
    /// </summary>
    private void HeartbeatLoop()
    {
        var readTimeout = Math.Max(1, NegotiatedTimeoutMs * 2 / 3);
        var pingEvery = Math.Min(readTimeout / 2, 10_000);
        var period = TimeSpan.FromMilliseconds(Math.Max(10, pingEvery / 4));
        var stopped = _cts.Token.WaitHandle;
        try
        {
            while (!stopped.WaitOne(period))
            {
                var now = Environment.TickCount64;
                var lastReceive = Volatile.Read(ref _lastReceiveTicks);
                var firstSend = Volatile.Read(ref _firstSendAfterReceiveTicks);

                // Silent for the read timeout, although something (at least a ping) went out long enough ago to
                // have been answered. Nothing sent means our own side was held up: not the server's fault.
                if (now - lastReceive > readTimeout && firstSend > lastReceive && now - firstSend > readTimeout / 3)
                {
                    int available;
                    try
                    {
                        available = _socket.Available;
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                        available = 0;
                    }

                    if (available == 0)
                    {
                        Abort(new TimeoutException($"nothing received from the server for {readTimeout} ms (the read timeout, 2/3 of the session timeout)"));
                        return;
                    }

                    Volatile.Write(ref _lastReceiveTicks, now);
                }

                if (now - Volatile.Read(ref _lastSendTicks) >= pingEvery)
                {
                    EnqueuePing();
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The connection was torn down.
        }
    }
}
