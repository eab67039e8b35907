using System.Buffers.Binary;
using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// The receiving half: a dedicated thread reads whatever the server sent in one blocking call, decodes every whole
/// frame (replies are matched to the FIFO of written requests; no user code runs while decoding), then completes
/// the decoded replies in wire order. Continuations that run inline may block; if one holds the reader longer than
/// <see cref="ReaderStallMilliseconds"/>, the session timer gives reading to a fresh thread and the stuck one exits
/// once its continuation returns, so a blocking caller delays other replies briefly but can never deadlock the
/// session.
/// </summary>
internal sealed partial class Connection
{
    private const int ReaderStallMilliseconds = 200;

    private readonly object _readerLock = new();
    private readonly Queue<PendingRequest> _ready = new();
    private byte[] _readBuffer;
    private int _readStart;
    private int _readEnd;
    private bool _readyClosed;
    private int _readerGeneration;
    private long _completingSince;
    private long _pingSentTicks;
    private long _confirmedTicks;

    /// <summary>Starts the reader thread.</summary>
    public void StartReader() => StartReaderThread(0);

    private void StartReaderThread(int generation)
    {
        var thread = new Thread(static state =>
        {
            var (connection, gen) = ((Connection, int))state!;
            connection.ReadLoop(gen);
        })
        {
            IsBackground = true,
            Name = "ZooKeeper reader " + Server,
        };
        thread.UnsafeStart((this, generation));
    }

    private void ReadLoop(int generation)
    {
        try
        {
            while (CompleteReady(generation))
            {
                ReadAndDecode();
            }
        }
        catch (ProtocolException ex)
        {
            Log.ProtocolError(_context.Logger, Server.ToString(), ex.Message);
            Abort(ex);
        }
        catch (Exception ex)
        {
            Abort(ex);
        }
    }

    /// <summary>Completes decoded replies in order; false when another thread has taken over reading.</summary>
    private bool CompleteReady(int generation)
    {
        while (true)
        {
            PendingRequest? request;
            lock (_readerLock)
            {
                if (generation != _readerGeneration)
                {
                    return false;
                }

                if (!_ready.TryDequeue(out request))
                {
                    _completingSince = 0;
                    return true;
                }

                _completingSince = Environment.TickCount64 | 1;
            }

            try
            {
                request.Complete(forceAsync: false);
            }
            catch (Exception ex)
            {
                Log.CallbackFailed(_context.Logger, ex);
            }
        }
    }

    /// <summary>Session timer: when a continuation has held the reader too long, a new thread takes over reading.</summary>
    private void CheckReaderStall(long now)
    {
        int generation;
        lock (_readerLock)
        {
            var since = _completingSince;
            if (_readyClosed || since == 0 || now - since < ReaderStallMilliseconds)
            {
                return;
            }

            generation = ++_readerGeneration;
            _completingSince = 0;
        }

        Log.ReaderStalled(_context.Logger, Server.ToString(), ReaderStallMilliseconds);
        StartReaderThread(generation);
    }

    private void ReadAndDecode()
    {
        if (_readEnd == _readBuffer.Length)
        {
            Array.Resize(ref _readBuffer, _readBuffer.Length * 2);
        }

        var n = _stream.Read(_readBuffer, _readEnd, _readBuffer.Length - _readEnd);
        if (n == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }

        _readEnd += n;
        Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
        Diagnostics.ClientTelemetry.BytesReceived.Add(n);
        var small = n < CoalesceBytes / 4;
        while (_readEnd - _readStart >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
            if (length < ReplyHeader.Size || length > _context.MaxPacketSize)
            {
                throw new ProtocolException($"reply frame length {length} is outside {ReplyHeader.Size}..{_context.MaxPacketSize} (ZooKeeperClientOptions.MaxPacketSize)");
            }

            if (_readEnd - _readStart < 4 + length)
            {
                if (_readStart + 4 + length > _readBuffer.Length)
                {
                    // Make room for the whole frame.
                    Compact();
                    if (4 + length > _readBuffer.Length)
                    {
                        Array.Resize(ref _readBuffer, Math.Max(4 + length, _readBuffer.Length * 2));
                    }
                }

                break;
            }

            HandleFrame(_readBuffer.AsSpan(_readStart + 4, length));
            _readStart += 4 + length;
        }

        Compact();
        if (small && _transport.TlsProtocol is null && IsDeepPipeline() && _transport.Available == 0)
        {
            // Hundreds of replies are still to come, a few at a time (the server writes each one separately): let
            // them gather for a moment and take them in one read, instead of waking up for every two or three.
            // (Not over TLS: decrypted records may already wait inside the TLS stream, out of the socket's sight.)
            Thread.Sleep(CoalesceWaitMilliseconds);
        }
    }

    private bool IsDeepPipeline()
    {
        lock (_lock)
        {
            return _inFlight.Count >= DeepPipeline;
        }
    }

    private void Compact()
    {
        if (_readStart == 0)
        {
            return;
        }

        var remaining = _readEnd - _readStart;
        if (remaining > 0)
        {
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, remaining);
        }

        _readStart = 0;
        _readEnd = remaining;
    }

    private void HandleFrame(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var header = ReplyHeader.Read(ref reader);
        if (header.Error == ErrorCode.SessionClosedRequireSaslAuth)
        {
            // The server requires SASL and closes the session: whatever this reply answered, retrying cannot help.
            try
            {
                HandleReply(frame, header, ref reader);
            }
            finally
            {
                _events.OnAuthFailed(this, header.Error);
            }

            return;
        }

        HandleReply(frame, header, ref reader);
    }

    private void HandleReply(ReadOnlySpan<byte> frame, ReplyHeader header, ref JuteReader reader)
    {
        var body = frame[ReplyHeader.Size..];
        switch (header.Xid)
        {
            case Xids.Notification:
                {
                    var notification = WatcherEvent.Read(ref reader);

                    // Replies decoded before this event are delivered before it.
                    MoveReadyBehindEvents();
                    _events.OnNotification(notification);
                    return;
                }

            case Xids.Ping:
                long pingSent;
                lock (_lock)
                {
                    _pingOutstanding = false;
                    pingSent = _pingSentTicks;
                }

                Confirm(pingSent);
                return;

            case Xids.Auth:
                {
                    PendingRequest? waiter;
                    lock (_lock)
                    {
                        _authInFlight.TryDequeue(out waiter);
                    }

                    if (waiter is not null)
                    {
                        waiter.Decode(default, header.Error, body);
                        Route(waiter);
                    }

                    if (header.Error != ErrorCode.Ok)
                    {
                        _events.OnAuthFailed(this, header.Error);
                    }

                    return;
                }

            case Xids.SetWatches:
                lock (_lock)
                {
                    _setWatchesOutstanding = Math.Max(0, _setWatchesOutstanding - 1);
                }

                if (header.Error != ErrorCode.Ok)
                {
                    Log.SetWatchesFailed(_context.Logger, header.Error);
                }

                return;
        }

        PendingRequest? request;
        lock (_lock)
        {
            _inFlight.TryDequeue(out request);
        }

        if (request is null)
        {
            throw new ProtocolException($"reply with xid {header.Xid} but no request is pending");
        }

        if (request.Xid != header.Xid)
        {
            request.Fail(new ConnectionLossException(request.Path, $"the server replied out of order (xid {header.Xid}, expected {request.Xid})"));
            throw new ProtocolException($"reply xid {header.Xid} out of order, expected {request.Xid}");
        }

        Confirm(request.SentTicks);
        _context.Watches.OnReply(request.Watch, header.Error);
        try
        {
            request.Decode(_context.Chroot, header.Error, body);
        }
        catch (ProtocolException)
        {
            request.Complete(forceAsync: true); // publishes the ConnectionLoss the decoder kept
            throw;
        }

        Route(request);

        // Only a reply that decoded advances the zxid this session has seen.
        if (header.Zxid > 0)
        {
            _context.ObserveZxid(header.Zxid);
        }
    }

    /// <summary>
    /// The send time (<see cref="Environment.TickCount64"/>) of the latest request, ping or handshake the server has
    /// answered on this connection: the server last heard from the session no earlier than this.
    /// </summary>
    public long ConfirmedTicks => Volatile.Read(ref _confirmedTicks);

    /// <summary>Notes that the server answered something sent at <paramref name="sentTicks"/> (only the reader writes this).</summary>
    private void Confirm(long sentTicks)
    {
        if (sentTicks > Volatile.Read(ref _confirmedTicks))
        {
            Volatile.Write(ref _confirmedTicks, sentTicks);
        }
    }

    /// <summary>Completes directly, or behind watch events still being delivered (so a caller never sees data before the event that announced its change).</summary>
    private void Route(PendingRequest request)
    {
        if (_context.Dispatcher.HasPending)
        {
            _context.Dispatcher.PostCompletion(request);
            return;
        }

        lock (_readerLock)
        {
            if (!_readyClosed)
            {
                _ready.Enqueue(request);
                return;
            }
        }

        request.Complete(forceAsync: true);
    }

    private void MoveReadyBehindEvents()
    {
        lock (_readerLock)
        {
            while (_ready.TryDequeue(out var request))
            {
                _context.Dispatcher.PostCompletion(request);
            }
        }
    }

    /// <summary>On abort: replies decoded but not yet completed go out on the thread pool; the reader stops taking new ones.</summary>
    private void CloseReady()
    {
        PendingRequest[] left;
        lock (_readerLock)
        {
            _readyClosed = true;
            left = [.. _ready];
            _ready.Clear();
        }

        foreach (var request in left)
        {
            request.Complete(forceAsync: true);
        }
    }
}
