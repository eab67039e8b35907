using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>Where a request is in its life. Changed only under the request pipeline's lock.</summary>
internal enum RequestStage
{
    /// <summary>Issued, not yet placed.</summary>
    New,

    /// <summary>Serialized into its own frame and waiting in the FIFO for a connection.</summary>
    Queued,

    /// <summary>Placed in a connection's outgoing batch (on the wire, or about to be): it waits for its reply.</summary>
    Written,

    /// <summary>Left the FIFO before it was written (cancelled, timed out, session gone).</summary>
    Abandoned,
}

/// <summary>
/// A request from the moment it is issued until its reply (or failure) is handed to the caller. The reader decodes a
/// reply into the request first (<see cref="Decode"/>, no user code) and publishes it afterwards
/// (<see cref="Complete"/>, where an inline continuation may run), so a stuck continuation never holds up decoding.
/// </summary>
internal abstract class PendingRequest
{
    public int Xid;
    public OpCode Op;

    /// <summary>The path as the caller gave it (relative to the chroot), for errors.</summary>
    public string? Path;

    /// <summary>The watch to register when the reply says so.</summary>
    public WatchRegistration Watch;

    /// <summary>Op-specific context the decoder needs (e.g. the operations of a multi).</summary>
    public object? State;

    // ---- owned by the request pipeline (under its lock)
    public RequestStage Stage;

    /// <summary>The serialized frame while the request waits in the FIFO.</summary>
    public FrameBuffer? Frame;

    /// <summary>When a queued request gives up waiting for a connection (Environment.TickCount64).</summary>
    public long Deadline;

    public PendingRequest? Next;
    public PendingRequest? Previous;

    /// <summary>The pipeline that placed the request (told when the caller cancels).</summary>
    public RequestPipeline? Owner;

    /// <summary>When the request was put on a connection (<see cref="Environment.TickCount64"/>): the server hears it no earlier.</summary>
    public long SentTicks;

    /// <summary>When the request was issued (Stopwatch ticks), only while the duration histogram is listened to; else 0.</summary>
    public long StartTimestamp;

    /// <summary>The client span, only while the activity source is listened to.</summary>
    public System.Diagnostics.Activity? Activity;

    /// <summary>True once the caller has been given a result or an exception.</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>On the reader, before any user code: decodes the reply and keeps the result or the exception. Throws <see cref="ProtocolException"/> for a malformed body (after failing the request).</summary>
    public abstract void Decode(Chroot chroot, ErrorCode error, ReadOnlySpan<byte> body);

    /// <summary>Publishes what <see cref="Decode"/> kept. With <paramref name="forceAsync"/> continuations run on the thread pool.</summary>
    public abstract void Complete(bool forceAsync);

    /// <summary>Fails the request and ends its life on the wire (connection lost, left the FIFO, closed). Continuations run on the thread pool.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Tells the caller its wait was cancelled; a written request still gets (and drops) its reply.</summary>
    public abstract void Cancel(OperationCanceledException exception);

    /// <summary>Returns a request that was never handed to a caller.</summary>
    public abstract void Discard();

    public void ReleaseFrame()
    {
        Frame?.Dispose();
        Frame = null;
    }
}

/// <summary>
/// A pending request completed through a pooled <see cref="IValueTaskSource{T}"/>: no allocation per request
/// beyond the decoded result when the caller passes no cancellable token.
/// </summary>
internal sealed class PendingRequest<T, TDecoder> : PendingRequest, IValueTaskSource<T>
    where TDecoder : IReplyDecoder<T>
{
    // Enough for deep pipelines (a burst of 20,000 requests otherwise allocates ~16,000 new requests); a pooled
    // request is ~250 B, so this retains at most ~8 MB per result type after the largest burst.
    private const int MaxPooled = 32 * 1024;
    private static readonly ConcurrentQueue<PendingRequest<T, TDecoder>> Pool = new();
    private static int _pooledCount;

    private ManualResetValueTaskSourceCore<T> _core;
    private T? _result;
    private Exception? _error;
    private bool _runAsync;
    private int _completed;
    private int _refs;
    private bool _poolable;
    private CancellationTokenRegistration _registration;

    public override bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public ValueTask<T> Task => new(this, _core.Version);

    public static PendingRequest<T, TDecoder> Rent(bool runContinuationsAsynchronously)
    {
        PendingRequest<T, TDecoder>? request = null;
        if (Pool.TryDequeue(out request))
        {
            Interlocked.Decrement(ref _pooledCount);
        }

        request ??= new PendingRequest<T, TDecoder>();
        request._poolable = true;
        request._refs = 2; // one for the caller's await, one for the wire
        request._completed = 0;
        request._runAsync = runContinuationsAsynchronously;
        request.Stage = RequestStage.New;
        return request;
    }

    /// <summary>Links the caller's token: cancelling it removes a queued request from the FIFO, or stops waiting for a written one.</summary>
    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        _poolable = false; // the registration may fire at any time, even after the request was handed back
        _registration = cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var request = (PendingRequest<T, TDecoder>)state!;
                if (request.Owner is { } owner)
                {
                    owner.OnCancelled(request, token);
                }
                else
                {
                    request.Cancel(new OperationCanceledException(token));
                }
            },
            this);
    }

    public override void Decode(Chroot chroot, ErrorCode error, ReadOnlySpan<byte> body)
    {
        var reader = new JuteReader(body);
        try
        {
            _result = TDecoder.Decode(new ReplyContext(chroot, Path, Op, State), error, ref reader);
        }
        catch (ZooKeeperException ex)
        {
            _error = ex;
        }
        catch (ProtocolException ex)
        {
            _error = new ConnectionLossException(Path, "the server sent a malformed reply: " + ex.Message, ex);
            throw;
        }
    }

    public override void Complete(bool forceAsync)
    {
        try
        {
            if (_error is { } error)
            {
                SetException(error, forceAsync || _runAsync);
            }
            else
            {
                SetResult(_result!, forceAsync || _runAsync);
            }
        }
        finally
        {
            _result = default;
            _error = null;
            Release();
        }
    }

    public override void Fail(Exception exception)
    {
        SetException(exception, runAsync: true);
        Release();
    }

    public override void Cancel(OperationCanceledException exception) => SetException(exception, runAsync: true);

    public override void Discard()
    {
        _registration.Dispose();
        _refs = 0;
        ReturnToPool();
    }

    private void SetResult(T result, bool runAsync)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            EndTelemetry(null);
            _core.RunContinuationsAsynchronously = runAsync;
            _core.SetResult(result);
        }
    }

    private void SetException(Exception exception, bool runAsync)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            EndTelemetry(exception);
            _core.RunContinuationsAsynchronously = runAsync;
            _core.SetException(exception);
        }
    }

    private void EndTelemetry(Exception? error)
    {
        if (StartTimestamp != 0 || Activity is not null)
        {
            Diagnostics.ClientTelemetry.Finish(Op, StartTimestamp, Activity, error);
            StartTimestamp = 0;
            Activity = null;
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            ReturnToPool();
        }
    }

    private void ReturnToPool()
    {
        Path = null;
        State = null;
        Watch = default;
        Owner = null;
        StartTimestamp = 0;
        Activity = null;
        Next = null;
        Previous = null;
        ReleaseFrame();
        if (!_poolable)
        {
            _registration.Dispose();
            return;
        }

        _core.Reset();
        if (Interlocked.Increment(ref _pooledCount) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooledCount);
        }
    }

    T IValueTaskSource<T>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
