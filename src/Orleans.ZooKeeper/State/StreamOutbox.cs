using System.Threading.Channels;
using Orleans.Runtime;
using Orleans.Streams;

namespace Orleans.ZooKeeper;

/// <summary>
/// Publishes items on one Orleans stream in the order they were posted, from a background task, so whoever posts
/// (a ZooKeeper event loop, a state change) never waits for Orleans messaging. Items posted before
/// <see cref="Start"/> are published first; after <see cref="StopPublishing"/> (the silo is leaving) items are dropped.
/// </summary>
internal sealed class StreamOutbox<T>
{
    private readonly Channel<T> _items = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _publisher;
    private volatile bool _stopped;

    /// <summary>Queues an item (never blocks).</summary>
    public void Post(T item) => _items.Writer.TryWrite(item);

    /// <summary>Starts publishing (once); <paramref name="onError"/> hears about items that could not be published.</summary>
    public void Start(IStreamProvider provider, StreamId streamId, Action<Exception, T> onError)
    {
        var stream = provider.GetStream<T>(streamId);
        _publisher ??= Task.Run(async () =>
        {
            await foreach (var item in _items.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (_stopped)
                {
                    continue; // the silo's messaging may already be gone
                }

                try
                {
                    await stream.OnNextAsync(item).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    onError(ex, item);
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>Drops everything from now on (the silo is shutting down).</summary>
    public void StopPublishing() => _stopped = true;

    /// <summary>Ends the outbox and lets what is queued go out, waiting at most <paramref name="grace"/>.</summary>
    public async Task CompleteAsync(TimeSpan grace)
    {
        _items.Writer.TryComplete();
        if (_publisher is { } publisher)
        {
            await Task.WhenAny(publisher, Task.Delay(grace, CancellationToken.None)).ConfigureAwait(false);
        }
    }
}
