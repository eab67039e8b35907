using System.Threading.Channels;
using Orleans.Streams;

namespace Orleans.ZooKeeper;

/// <summary>
/// Delivers one component's announcements (a container's states, an election's LEADER!/FOLLOWER!, a cache's
/// changes) in publish order to in-process handlers, to async-stream subscribers and, once attached, to an Orleans
/// stream. The one way the container, the election and the caches announce anything.
/// </summary>
/// <remarks>
/// <para><b>Subscribers</b> (<see cref="Subscribe"/>) get every item published from the moment they subscribe (the
/// item is handed to them inside <see cref="Publish"/>), and their streams end with <see cref="CompleteAsync"/>.</para>
/// <para><b>Handlers</b> run one item at a time, in order: inline, on the publisher's thread, when the owner publishes
/// from one ordered loop of its own (the container on the client's event loop, a cache on its loop); else on the
/// announcer's loop, so a publisher that holds a lock never runs user code under it (the election).</para>
/// <para><b>The Orleans stream</b> is published on a loop of its own, so Orleans messaging never holds up in-process
/// delivery. With <c>bufferForStream</c> every item from the announcer's creation on is kept until the stream is
/// attached and published first (<see cref="AttachStreamAsync"/> completes once they are out); after
/// <see cref="DetachStreamAsync"/> (the silo is leaving, its messaging going away) items go in process only.</para>
/// </remarks>
internal sealed class Announcer<T>
{
    private readonly object _sender;
    private readonly Action<Exception> _handlerFailed;
    private readonly bool _inline;
    private readonly object _lock = new();
    private readonly Shared.Subscribers<T> _subscribers = new();
    private readonly Channel<T>? _queue;
    private readonly Task _delivery = Task.CompletedTask;
    private EventHandler<T>? _handlers;
    private Channel<T>? _toStream;
    private Task _streaming = Task.CompletedTask;
    private CancellationTokenSource? _streamStop;
    private bool _completed;

    /// <param name="sender">The sender handlers see.</param>
    /// <param name="handlerFailed">Hears about a handler that threw (the others still run).</param>
    /// <param name="inlineHandlers">Run handlers inside <see cref="Publish"/> (the publisher calls it from one ordered loop).</param>
    /// <param name="bufferForStream">Keep items for an Orleans stream attached later.</param>
    public Announcer(object sender, Action<Exception> handlerFailed, bool inlineHandlers, bool bufferForStream = false)
    {
        _sender = sender;
        _handlerFailed = handlerFailed;
        _inline = inlineHandlers;
        if (bufferForStream)
        {
            _toStream = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
        }

        if (!inlineHandlers)
        {
            _queue = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
            _delivery = Task.Run(DeliverAsync);
        }
    }

    /// <summary>Adds an in-process handler (the owner's <c>event</c> accessor).</summary>
    public void AddHandler(EventHandler<T>? handler)
    {
        lock (_lock)
        {
            _handlers += handler;
        }
    }

    /// <summary>Removes an in-process handler.</summary>
    public void RemoveHandler(EventHandler<T>? handler)
    {
        lock (_lock)
        {
            _handlers -= handler;
        }
    }

    /// <summary>Every item from the moment of this call on (not from the first enumeration); ends with <see cref="CompleteAsync"/>.</summary>
    public IAsyncEnumerable<T> Subscribe(CancellationToken cancellationToken) => _subscribers.Subscribe(cancellationToken);

    /// <summary>Announces <paramref name="item"/> (never blocks; nothing after <see cref="CompleteAsync"/>).</summary>
    public void Publish(T item)
    {
        EventHandler<T>? inline = null;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _subscribers.Publish(item);
            _toStream?.Writer.TryWrite(item);
            if (_inline)
            {
                inline = _handlers;
            }
            else
            {
                _queue!.Writer.TryWrite(item);
            }
        }

        if (inline is not null)
        {
            RunHandlers(inline, item);
        }
    }

    /// <summary>
    /// Publishes on <paramref name="stream"/> from now on, what was kept for it first; completes once that backlog is
    /// out. <paramref name="publishFailed"/> hears about items the stream refused.
    /// </summary>
    public async Task AttachStreamAsync(IAsyncStream<T> stream, Action<Exception, T> publishFailed)
    {
        ChannelReader<T> items;
        lock (_lock)
        {
            _toStream ??= Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
            _streamStop = new CancellationTokenSource();
            items = _toStream.Reader;
        }

        var stop = _streamStop.Token;
        while (items.TryRead(out var kept))
        {
            await PublishAsync(stream, kept, publishFailed, stop).ConfigureAwait(false);
        }

        _streaming = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var item in items.ReadAllAsync(stop).ConfigureAwait(false))
                    {
                        await PublishAsync(stream, item, publishFailed, stop).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Detached.
                }
            },
            CancellationToken.None);
    }

    /// <summary>Stops publishing on the stream (items go in process only); completes when a publication in flight is done.</summary>
    public async Task DetachStreamAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource? stop;
        lock (_lock)
        {
            stop = _streamStop;
            _toStream?.Writer.TryComplete();
            _toStream = null;
        }

        if (stop is not null)
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }

        await _streaming.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the announcer: nothing more is published, subscriber streams end after what they were given, queued
    /// handlers run, and the stream gets what is queued for it within <paramref name="streamGrace"/>.
    /// </summary>
    public async Task CompleteAsync(TimeSpan streamGrace)
    {
        lock (_lock)
        {
            if (!_completed)
            {
                _completed = true;
                _subscribers.Complete();

                _toStream?.Writer.TryComplete();
                _queue?.Writer.TryComplete();
            }
        }

        await _delivery.ConfigureAwait(false);
        await Task.WhenAny(_streaming, Task.Delay(streamGrace)).ConfigureAwait(false);
    }

    /// <summary>The one error for a stream provider that is named but not registered.</summary>
    public static InvalidOperationException NoSuchStreamProvider(string who, string providerName, string optionName)
        => new($"{who} publishes on the Orleans stream provider '{providerName}', but no stream provider of that name is registered. " +
            $"Add one to the silo, e.g. siloBuilder.AddMemoryStreams(\"{providerName}\") with a grain storage named \"PubSubStore\" (siloBuilder.AddMemoryGrainStorage(\"PubSubStore\")), " +
            $"or leave {optionName} unset for in-process announcements only.");

    private static async Task PublishAsync(IAsyncStream<T> stream, T item, Action<Exception, T> publishFailed, CancellationToken stop)
    {
        try
        {
            await stream.OnNextAsync(item).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            publishFailed(ex, item);
        }
    }

    private async Task DeliverAsync()
    {
        await foreach (var item in _queue!.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            EventHandler<T>? handlers;
            lock (_lock)
            {
                handlers = _handlers;
            }

            RunHandlers(handlers, item);
        }
    }

    private void RunHandlers(EventHandler<T>? handlers, T item)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)handler)(_sender, item);
            }
            catch (Exception ex)
            {
                _handlerFailed(ex);
            }
        }
    }
}
