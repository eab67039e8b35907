namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// The FIFO of requests issued while no connection can take them, in issue order. An intrusive doubly linked list,
/// so a request that is cancelled leaves from the middle in O(1) without disturbing the others. Every entry waits
/// the same time, so deadlines grow from head to tail and expiry only looks at the head. Not thread-safe: the
/// request pipeline's lock guards it.
/// </summary>
internal sealed class RequestBacklog
{
    private PendingRequest? _head;
    private PendingRequest? _tail;

    public int Count { get; private set; }

    public bool IsEmpty => _head is null;

    public PendingRequest? First => _head;

    public void Add(PendingRequest request)
    {
        request.Previous = _tail;
        request.Next = null;
        if (_tail is null)
        {
            _head = request;
        }
        else
        {
            _tail.Next = request;
        }

        _tail = request;
        request.Stage = RequestStage.Queued;
        Count++;
    }

    /// <summary>Puts a request back at the head (it was taken but could not be placed).</summary>
    public void AddFirst(PendingRequest request)
    {
        request.Previous = null;
        request.Next = _head;
        if (_head is null)
        {
            _tail = request;
        }
        else
        {
            _head.Previous = request;
        }

        _head = request;
        request.Stage = RequestStage.Queued;
        Count++;
    }

    /// <summary>Unlinks a queued request (from anywhere in the list); the owner then marks it written or abandoned.</summary>
    public void Remove(PendingRequest request)
    {
        if (request.Stage != RequestStage.Queued)
        {
            throw new InvalidOperationException("The request is not queued.");
        }

        if (request.Previous is null)
        {
            _head = request.Next;
        }
        else
        {
            request.Previous.Next = request.Next;
        }

        if (request.Next is null)
        {
            _tail = request.Previous;
        }
        else
        {
            request.Next.Previous = request.Previous;
        }

        request.Next = null;
        request.Previous = null;
        request.Stage = RequestStage.New; // no longer queued: a second Remove must not unlink anything
        Count--;
    }

    /// <summary>Removes and returns the head, or null.</summary>
    public PendingRequest? TakeFirst()
    {
        var first = _head;
        if (first is not null)
        {
            Remove(first);
        }

        return first;
    }

    /// <summary>Removes the requests whose deadline has passed (all at the head) and returns them in order.</summary>
    public List<PendingRequest>? TakeExpired(long now)
    {
        List<PendingRequest>? expired = null;
        while (_head is { } first && first.Deadline <= now)
        {
            Remove(first);
            (expired ??= []).Add(first);
        }

        return expired;
    }

    /// <summary>Removes every request and returns them in order.</summary>
    public List<PendingRequest> TakeAll()
    {
        var all = new List<PendingRequest>(Count);
        while (TakeFirst() is { } request)
        {
            all.Add(request);
        }

        return all;
    }
}
