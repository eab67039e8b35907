using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Transport;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// One open connection to one server, after a successful handshake: the outgoing batch and the FIFO of requests
/// waiting for replies (the depot), a reader thread that decodes replies and completes them, the writer loop (run
/// by the session's send thread), and the per-connection heartbeat bookkeeping the session timer drives.
/// </summary>
/// <remarks>
/// The socket stays in blocking mode: the reader blocks in one read call per batch of replies, the writer in one
/// write per batch of requests; a caller whose request is the only one outstanding writes it itself, saving the
/// wake-up of the writer. Every async continuation of the client's callers runs either inline on the reader (with a
/// watchdog that hands reading to a fresh thread when a continuation blocks) or on the thread pool.
/// </remarks>
internal sealed partial class Connection
{
    /// <summary>A caller writes its own request only when it is at most this large (a blocking write of it cannot block).</summary>
    private const int InlineFlushMaxBytes = 16 * 1024;

    /// <summary>With this many requests unanswered the server has work queued for a while: the writer lets small batches grow.</summary>
    private const int DeepPipeline = 256;

    /// <summary>The batch size the writer waits for in a deep pipeline (at most <see cref="CoalesceWaitMilliseconds"/>).</summary>
    private const int CoalesceBytes = 16 * 1024;

    private const int CoalesceWaitMilliseconds = 1;

    private readonly TransportStream _transport;
    private readonly Stream _stream;
    private readonly ConnectionContext _context;
    private readonly IConnectionEvents _events;
    private readonly object _lock = new();
    private readonly OutboundBatch _batch = new();
    private readonly Queue<PendingRequest> _inFlight = new();
    private readonly Queue<PendingRequest?> _authInFlight = new();
    private readonly TaskCompletionSource<Exception> _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _readTimeoutMs;
    private readonly int _pingEveryMs;
    private int _setWatchesOutstanding;
    private bool _pingOutstanding;
    private bool _closed;
    private bool _writerWaiting;
    private bool _writerCoalescing;
    private long _lastSendTicks;
    private long _lastReceiveTicks;
    private long _firstSendAfterReceiveTicks;

    // handshakeSentTicks: when the handshake went out (the server renewed the session no earlier).
    public Connection(TransportStream transport, ConnectResponse handshake, ConnectionContext context, IConnectionEvents events, long handshakeSentTicks)
    {
        _transport = transport;
        _stream = transport.Stream;
        _context = context;
        _events = events;
        SessionId = handshake.SessionId;
        Password = handshake.Password;
        NegotiatedTimeoutMs = handshake.TimeoutMs;
        IsReadOnly = handshake.ReadOnly;
        _readTimeoutMs = Math.Max(1, NegotiatedTimeoutMs * 2 / 3);
        _pingEveryMs = Math.Max(1, Math.Min(_readTimeoutMs / 2, 10_000));
        _lastSendTicks = _lastReceiveTicks = Environment.TickCount64;
        _confirmedTicks = handshakeSentTicks;
        _readBuffer = new byte[64 * 1024];
        ServerText = transport.Server.ToString();
    }

    public ServerAddress Server => _transport.Server;

    /// <summary><see cref="Server"/> as text, made once.</summary>
    public string ServerText { get; }

    public long SessionId { get; }

    public byte[] Password { get; }

    public int NegotiatedTimeoutMs { get; }

    public bool IsReadOnly { get; }

    /// <summary>The negotiated TLS version, or null for plaintext.</summary>
    public string? TlsProtocol => _transport.TlsProtocol;

    /// <summary>Requests written and waiting for their reply (a gauge: read without the lock).</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Completes with the reason once the connection is closed.</summary>
    public Task<Exception> Closed => _closedSignal.Task;

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

    // ------------------------------------------------------------------ sending (callers hold the pipeline's lock)

    /// <summary>
    /// Serializes a request into the outgoing batch. When it is the only thing outstanding, <paramref name="inline"/>
    /// is the batch for the caller to write (<see cref="FlushInline"/>, after releasing its locks); otherwise the writer
    /// is woken.
    /// </summary>
    public SendOutcome Send<TBody>(ref TBody body, int xid, PendingRequest request, out int size, out FrameBuffer? inline)
        where TBody : struct, IRequestBody
    {
        inline = null;
        lock (_lock)
        {
            if (_closed)
            {
                size = 0;
                return SendOutcome.Closed;
            }

            size = RequestWriter.WriteFrame(_batch.Active, xid, ref body, _context.Chroot, _context.MaxPacketSize);
            if (size < 0)
            {
                size = -size;
                return SendOutcome.TooLarge;
            }

            Accept(request, xid, body.Op);
            if (Unanswered == 1 && _batch.Active.Length == size + 4 && size + 4 <= InlineFlushMaxBytes)
            {
                // Nothing else outstanding, so nothing sits unread in the socket's send buffer: a blocking write of
                // this small frame returns at once, and the writer need not wake up.
                inline = _batch.TryTake();
            }

            if (inline is null)
            {
                WakeWriter();
            }

            return SendOutcome.Sent;
        }
    }

    /// <summary>Appends a request that was serialized while it waited in the FIFO (the writer sends it).</summary>
    public SendOutcome SendQueued(PendingRequest request)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return SendOutcome.Closed;
            }

            _batch.Active.WriteRaw(request.Frame!.WrittenSpan);
            Accept(request, request.Xid, request.Op);
            WakeWriter();
            return SendOutcome.Sent;
        }
    }

    /// <summary>Replays credentials (no one awaits these replies; a refusal fails the session).</summary>
    public void SendAuthReplay(IReadOnlyList<AuthInfo> credentials)
    {
        lock (_lock)
        {
            foreach (var auth in credentials)
            {
                var body = new AuthRequest(auth.Scheme, auth.Auth);
                if (!_closed && RequestWriter.WriteFrame(_batch.Active, Xids.Auth, ref body, default, _context.MaxPacketSize) > 0)
                {
                    _authInFlight.Enqueue(null);
                }
            }

            WakeWriter();
        }
    }

    /// <summary>Re-registers watches (SetWatches/SetWatches2, batched under the packet limit).</summary>
    public void SendSetWatches(Watches.WatchSnapshot watches, long relativeZxid)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _setWatchesOutstanding += SetWatches.WriteFrames(
                _batch.Active, relativeZxid, watches.Data, watches.Exist, watches.Child, watches.Persistent, watches.PersistentRecursive, _context.MaxPacketSize);
            WakeWriter();
        }
    }

    /// <summary>Writes a batch taken by <see cref="Send"/> on the caller's thread.</summary>
    public void FlushInline(FrameBuffer batch)
    {
        try
        {
            _stream.Write(batch.WrittenSpan);
            NoteSend(batch.Length);
        }
        catch (Exception ex) when (IsTransportError(ex))
        {
            Abort(ex);
        }
        finally
        {
            lock (_lock)
            {
                if (_batch.Return(batch))
                {
                    WakeWriter();
                }
            }
        }
    }

    /// <summary>The writer loop, run by the session's send thread until the connection closes.</summary>
    public void RunWriter()
    {
        try
        {
            while (true)
            {
                FrameBuffer batch;
                lock (_lock)
                {
                    var coalesced = false;
                    while (true)
                    {
                        if (_closed)
                        {
                            return;
                        }

                        if (!coalesced && Unanswered >= DeepPipeline && !_batch.IsFlushing && _batch.Active.Length is > 0 and < CoalesceBytes)
                        {
                            // The server has hundreds of requests to work through: sending a few more a moment later
                            // costs it nothing, and one large write instead of many small ones saves both sides
                            // (the server reads each client write separately).
                            coalesced = true;
                            _writerWaiting = _writerCoalescing = true;
                            Monitor.Wait(_lock, CoalesceWaitMilliseconds);
                            _writerWaiting = _writerCoalescing = false;
                            continue;
                        }

                        if (_batch.TryTake() is { } taken)
                        {
                            batch = taken;
                            break;
                        }

                        _writerWaiting = true;
                        Monitor.Wait(_lock);
                        _writerWaiting = false;
                    }
                }

                try
                {
                    _stream.Write(batch.WrittenSpan);
                    NoteSend(batch.Length);
                }
                finally
                {
                    lock (_lock)
                    {
                        _batch.Return(batch);
                    }
                }
            }
        }
        catch (Exception ex) when (IsTransportError(ex))
        {
            Abort(ex);
        }
    }

    // ------------------------------------------------------------------ closing

    /// <summary>Closes the connection and fails every request still waiting for a reply. Idempotent.</summary>
    public void Abort(Exception reason)
    {
        PendingRequest[] inFlight;
        PendingRequest?[] auth;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            inFlight = [.. _inFlight];
            _inFlight.Clear();
            auth = [.. _authInFlight];
            _authInFlight.Clear();
            _batch.Close();
            Monitor.PulseAll(_lock);
        }

        _transport.Dispose();

        // Replies already decoded go out first (they were answered), then the unanswered ones fail, in order.
        CloseReady();
        var message = $"connection to {Server} lost: {reason.Message}";
        foreach (var request in inFlight)
        {
            request.Fail(new ConnectionLossException(request.Path, message, reason));
        }

        foreach (var request in auth)
        {
            request?.Fail(new ConnectionLossException(null, message, reason));
        }

        _events.OnClosed(this, reason);
        _closedSignal.TrySetResult(reason);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Requests, credentials, watch batches and pings sent but not yet answered.</summary>
    private int Unanswered => _inFlight.Count + _authInFlight.Count + _setWatchesOutstanding + (_pingOutstanding ? 1 : 0);

    private void Accept(PendingRequest request, int xid, OpCode op)
    {
        request.Xid = xid;
        request.Op = op;
        request.Stage = RequestStage.Written;
        request.SentTicks = Environment.TickCount64;
        if (xid == Xids.Auth)
        {
            _authInFlight.Enqueue(request);
        }
        else
        {
            _inFlight.Enqueue(request);
        }
    }

    private void WakeWriter()
    {
        if (_writerWaiting && (!_writerCoalescing || _batch.Active.Length >= CoalesceBytes))
        {
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Notes a send: the first one after the last receive starts the read-timeout clock.</summary>
    private void NoteSend(int bytes)
    {
        Diagnostics.ClientTelemetry.BytesSent.Add(bytes);
        var now = Environment.TickCount64;
        Volatile.Write(ref _lastSendTicks, now);
        if (Volatile.Read(ref _firstSendAfterReceiveTicks) <= Volatile.Read(ref _lastReceiveTicks))
        {
            Volatile.Write(ref _firstSendAfterReceiveTicks, now);
        }
    }

    private static bool IsTransportError(Exception ex)
        => ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or NotSupportedException;
}
