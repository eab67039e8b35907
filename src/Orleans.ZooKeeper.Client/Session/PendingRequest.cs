using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>A request written to a connection and waiting for its reply.</summary>
internal abstract class PendingRequest
{
    public int Xid;
    public OpCode Op;

    /// <summary>The path as the caller gave it (relative to the chroot), for errors and chroot handling.</summary>
    public string? Path;

    /// <summary>The watch to register when the reply says so.</summary>
    public WatchRegistration Watch;

    /// <summary>Op-specific context the decoder needs (e.g. the operations of a multi).</summary>
    public object? State;

    /// <summary>Called on the connection's read loop with the reply. Throws <see cref="ProtocolException"/> for a malformed body.</summary>
    public abstract void OnReply(ZooKeeperSession session, ErrorCode error, ReadOnlySpan<byte> body);

    /// <summary>Fails the request (connection lost, client closed).</summary>
    public abstract void OnFailure(Exception exception);

    /// <summary>Releases a request that was never put on the wire and never handed to a caller.</summary>
    public abstract void Discard();
}

/// <summary>Decodes one kind of reply body.</summary>
internal interface IReplyDecoder<T>
{
    /// <summary>Decodes the reply or throws the exception the caller should see.</summary>
    static abstract T Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body);
}

/// <summary>
/// A pending request completed through a pooled <see cref="IValueTaskSource{T}"/>: no allocation per request
/// beyond the decoded result when the caller passes no cancellable token.
/// </summary>
internal sealed class PendingRequest<T, TDecoder> : PendingRequest, IValueTaskSource<T>
    where TDecoder : IReplyDecoder<T>
{
    // Enough for deep pipelines (a burst of 20,000 requests otherwise allocates ~16,000 new requests, ~165 B per
    // request); a pooled request is ~220 B, so this retains at most ~7 MB per result type after the largest burst.
    private const int MaxPooled = 32 * 1024;
    private static readonly ConcurrentQueue<PendingRequest<T, TDecoder>> Pool = new();
    private static int _pooledCount;

    private ManualResetValueTaskSourceCore<T> _core;
    private int _completed;
    private int _refs;
    private bool _poolable;
    private CancellationTokenRegistration _registration;

    public static PendingRequest<T, TDecoder> Rent(bool runContinuationsAsynchronously, CancellationToken cancellationToken)
    {
        PendingRequest<T, TDecoder>? request = null;
        if (!cancellationToken.CanBeCanceled && Pool.TryDequeue(out request))
        {
            Interlocked.Decrement(ref _pooledCount);
        }

        request ??= new PendingRequest<T, TDecoder>();
        request._poolable = !cancellationToken.CanBeCanceled;
        request._refs = 2; // one for the caller's await, one for the wire
        request._completed = 0;
        request._core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        if (cancellationToken.CanBeCanceled)
        {
            request._registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingRequest<T, TDecoder>)state!).TrySetException(new OperationCanceledException(token)),
                request);
        }

        return request;
    }

    public ValueTask<T> Task => new(this, _core.Version);

    public override void OnReply(ZooKeeperSession session, ErrorCode error, ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new JuteReader(body);
            T result;
            try
            {
                result = TDecoder.Decode(session, this, error, ref reader);
            }
            catch (ZooKeeperException ex)
            {
                TrySetException(ex);
                return;
            }
            catch (ProtocolException ex)
            {
                TrySetException(new ConnectionLossException(Path, "the server sent a malformed reply: " + ex.Message, ex));
                throw;
            }

            TrySetResult(result);
        }
        finally
        {
            Release();
        }
    }

    public override void OnFailure(Exception exception)
    {
        TrySetException(exception);
        Release();
    }

    public override void Discard()
    {
        _registration.Dispose();
        _refs = 0;
        ReturnToPool();
    }

    private void TrySetResult(T result)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetResult(result);
        }
    }

    private void TrySetException(Exception exception)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(exception);
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
            if (!_poolable)
            {
                _registration.Dispose();
            }

            Release();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
