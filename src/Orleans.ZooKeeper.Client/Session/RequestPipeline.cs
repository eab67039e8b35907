using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>How <see cref="RequestPipeline.Submit"/> placed a request.</summary>
internal enum PlacementKind
{
    /// <summary>Written into the live connection's batch.</summary>
    Sent,

    /// <summary>Waiting in the FIFO for a connection.</summary>
    Queued,

    /// <summary>Refused: over the packet limit.</summary>
    TooLarge,

    /// <summary>Refused: the session is unusable, or no connection and no waiting allowed.</summary>
    Rejected,
}

/// <summary>The outcome of a submit; for an inline send, the batch the caller writes after the locks are released.</summary>
internal readonly record struct Placement(PlacementKind Kind, int Size = 0, Exception? Error = null, Connection? Connection = null, FrameBuffer? InlineBatch = null);

/// <summary>
/// The session's one ordered queue of requests (the bridge between callers and connections). A request takes its
/// place at the moment it is issued: straight into the live connection's batch when one is up and nothing is
/// waiting, else serialized into its own frame at the tail of the FIFO. When a connection comes up the FIFO is
/// moved into it, behind the credentials and watch replay and ahead of anything issued later, so the wire order is
/// always the issue order, across reconnects. A waiting request leaves the FIFO when its deadline passes or its
/// caller cancels, without disturbing the others.
/// </summary>
internal sealed class RequestPipeline
{
    private readonly object _lock = new();
    private readonly RequestBacklog _backlog = new();
    private readonly ConnectionContext _context;
    private readonly long _queueTimeoutMs;
    private readonly List<AuthInfo> _credentials;
    private Connection? _writable;
    private Exception? _fatal;
    private int _xid;

    /// <param name="context">Chroot and packet limit for serializing.</param>
    /// <param name="queueTimeout">How long a request may wait for a connection (zero: not at all).</param>
    /// <param name="credentials">Credentials every connection starts with (replayed first).</param>
    public RequestPipeline(ConnectionContext context, TimeSpan queueTimeout, IEnumerable<AuthInfo> credentials)
    {
        _context = context;
        _queueTimeoutMs = (long)queueTimeout.TotalMilliseconds;
        _credentials = [.. credentials];
    }

    /// <summary>Requests waiting for a connection.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _backlog.Count;
            }
        }
    }

    /// <summary>Why the session is unusable, or null.</summary>
    public Exception? Fatal => Volatile.Read(ref _fatal);

    /// <summary>
    /// Places a request in issue order. With <paramref name="thenRefuse"/>, later submits are refused with it (the
    /// close-session request is the last one a session sends).
    /// </summary>
    public Placement Submit<TBody>(ref TBody body, PendingRequest request, Exception? thenRefuse = null)
        where TBody : struct, IRequestBody
    {
        lock (_lock)
        {
            if (_fatal is { } fatal)
            {
                return new Placement(PlacementKind.Rejected, Error: fatal);
            }

            var placement = Place(ref body, request);
            if (thenRefuse is not null && placement.Kind is PlacementKind.Sent or PlacementKind.Queued)
            {
                _fatal = thenRefuse;
            }

            return placement;
        }
    }

    private Placement Place<TBody>(ref TBody body, PendingRequest request)
        where TBody : struct, IRequestBody
    {
        request.Owner = this;
        var xid = body.Op == OpCode.Auth ? Xids.Auth : NextXid();
        int size;
        if (_writable is { } connection && _backlog.IsEmpty)
        {
            switch (connection.Send(ref body, xid, request, out size, out var inline))
            {
                case SendOutcome.Sent:
                    RememberCredentials(request);
                    return new Placement(PlacementKind.Sent, size, Connection: connection, InlineBatch: inline);
                case SendOutcome.TooLarge:
                    return new Placement(PlacementKind.TooLarge, size);
            }

            // Closed under us: the request waits for the next connection like any other.
        }

        if (_queueTimeoutMs <= 0)
        {
            return new Placement(PlacementKind.Rejected, Error: new ConnectionLossException(request.Path, "not connected to ZooKeeper and ZooKeeperClientOptions.DisconnectedRequestTimeout is zero, so requests do not wait for a connection"));
        }

        var frame = new FrameBuffer(256);
        size = RequestWriter.WriteFrame(frame, xid, ref body, _context.Chroot, _context.MaxPacketSize);
        if (size < 0)
        {
            frame.Dispose();
            return new Placement(PlacementKind.TooLarge, -size);
        }

        request.Frame = frame;
        request.Xid = xid;
        request.Op = body.Op;
        request.Deadline = Environment.TickCount64 + _queueTimeoutMs;
        _backlog.Add(request);
        return new Placement(PlacementKind.Queued, size);
    }

    /// <summary>
    /// Readies a new connection: the credentials written on earlier connections, then watch re-registration, then
    /// every waiting request in issue order (credentials added while disconnected go out in their place among them);
    /// only then may new requests go to it directly. False when the connection closed meanwhile (waiting requests
    /// not yet moved stay queued).
    /// </summary>
    public bool Prime(Connection connection, Watches.WatchSnapshot watches, long relativeZxid)
    {
        lock (_lock)
        {
            connection.SendAuthReplay(_credentials);
            if (!watches.IsEmpty)
            {
                connection.SendSetWatches(watches, relativeZxid);
            }

            while (_backlog.First is { } request)
            {
                _backlog.Remove(request);
                if (connection.SendQueued(request) == SendOutcome.Closed)
                {
                    _backlog.AddFirst(request);
                    return false;
                }

                RememberCredentials(request);
                request.ReleaseFrame();
            }

            if (connection.IsClosed)
            {
                return false;
            }

            _writable = connection;
            return true;
        }
    }

    /// <summary>The connection is gone: requests wait in the FIFO again.</summary>
    public void Detach(Connection connection)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_writable, connection))
            {
                _writable = null;
            }
        }
    }

    /// <summary>A caller cancelled: a waiting request leaves the FIFO; a written one just stops being awaited.</summary>
    public void OnCancelled(PendingRequest request, CancellationToken token)
    {
        bool left;
        lock (_lock)
        {
            left = request.Stage == RequestStage.Queued;
            if (left)
            {
                _backlog.Remove(request);
                request.Stage = RequestStage.Abandoned;
            }
        }

        var cancelled = new OperationCanceledException("The call was cancelled" + (left ? " before it was sent; it will not be applied." : " after it was sent; it may still be applied."), token);
        if (left)
        {
            request.Fail(cancelled);
        }
        else
        {
            request.Cancel(cancelled);
        }
    }

    /// <summary>Fails waiting requests whose deadline passed (session timer).</summary>
    public void ExpireQueued(long now, Func<PendingRequest, Exception> error)
    {
        List<PendingRequest>? expired;
        lock (_lock)
        {
            expired = _backlog.TakeExpired(now);
            MarkAbandoned(expired);
        }

        FailAll(expired, error);
    }

    /// <summary>Fails every waiting request (the session they were issued for expired); later ones still queue.</summary>
    public void FailQueued(Func<PendingRequest, Exception> error)
    {
        List<PendingRequest> all;
        lock (_lock)
        {
            all = _backlog.TakeAll();
            MarkAbandoned(all);
        }

        FailAll(all, error);
    }

    /// <summary>Makes the session unusable: waiting and later requests fail with <paramref name="error"/>.</summary>
    public void Refuse(Exception error)
    {
        List<PendingRequest> all;
        lock (_lock)
        {
            _fatal ??= error;
            all = _backlog.TakeAll();
            MarkAbandoned(all);
        }

        FailAll(all, _ => error);
    }

    /// <summary>Credentials count from the moment they are written: later connections replay them before anything else.</summary>
    private void RememberCredentials(PendingRequest request)
    {
        if (request.Xid == Xids.Auth && request.State is AuthInfo auth)
        {
            Remember(auth); // a separate method, so the hot path allocates no closure
        }

        void Remember(AuthInfo credential)
        {
            foreach (var known in _credentials)
            {
                if (known.Scheme == credential.Scheme && known.Auth.AsSpan().SequenceEqual(credential.Auth))
                {
                    return;
                }
            }

            _credentials.Add(credential);
        }
    }

    /// <summary>An xid for a packet sent outside the pipeline (the SASL exchange), from the same sequence.</summary>
    public int ReserveXid()
    {
        lock (_lock)
        {
            return NextXid();
        }
    }

    private int NextXid()
    {
        _xid = _xid == int.MaxValue ? 1 : _xid + 1;
        return _xid;
    }

    private static void MarkAbandoned(List<PendingRequest>? requests)
    {
        if (requests is null)
        {
            return;
        }

        foreach (var request in requests)
        {
            request.Stage = RequestStage.Abandoned;
        }
    }

    private static void FailAll(List<PendingRequest>? requests, Func<PendingRequest, Exception> error)
    {
        if (requests is null)
        {
            return;
        }

        foreach (var request in requests)
        {
            request.Fail(error(request));
        }
    }
}
