using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// Double-buffered outgoing bytes of one connection: writers append frames to the active buffer; one flusher at a
/// time takes everything appended so far (<see cref="TryTake"/>), sends it in one write, and hands the buffer back
/// (<see cref="Return"/>). Not thread-safe: the owner serializes calls (the connection's lock); the flush itself
/// runs outside that lock. Testable without sockets.
/// </summary>
internal sealed class OutboundBatch
{
    private FrameBuffer _active = new();
    private FrameBuffer _spare = new();
    private FrameBuffer? _flushing;
    private bool _closed;

    /// <summary>The buffer frames are appended to.</summary>
    public FrameBuffer Active
    {
        get
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            return _active;
        }
    }

    /// <summary>True while a flusher holds a buffer.</summary>
    public bool IsFlushing => _flushing is not null;

    /// <summary>True when nothing is waiting to be sent.</summary>
    public bool IsEmpty => _active.Length == 0;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed => _closed;

    /// <summary>When no flush is running and something is waiting: takes it for the caller to send. Otherwise null.</summary>
    public FrameBuffer? TryTake()
    {
        if (_closed || _flushing is not null || _active.Length == 0)
        {
            return null;
        }

        var batch = _active;
        _active = _spare;
        _spare = null!;
        _flushing = batch;
        return batch;
    }

    /// <summary>The flusher is done with <paramref name="batch"/>; returns true when more is waiting.</summary>
    public bool Return(FrameBuffer batch)
    {
        if (!ReferenceEquals(batch, _flushing))
        {
            throw new InvalidOperationException("That buffer is not the one being flushed.");
        }

        _flushing = null;
        if (_closed)
        {
            batch.Dispose();
            return false;
        }

        batch.Reset();
        _spare = batch;
        return _active.Length > 0;
    }

    /// <summary>Stops taking frames; buffers go back to the pool now, or when the running flush returns its own.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _active.Dispose();
        _spare?.Dispose();
    }
}
