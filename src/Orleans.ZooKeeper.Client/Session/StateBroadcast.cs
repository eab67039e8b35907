using System.Threading.Channels;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// Fans state changes out to async-stream subscribers, each with its own unbounded channel, in publish order.
/// A subscription starts when <see cref="Subscribe"/> is called (not at the first enumeration).
/// </summary>
internal sealed class StateBroadcast<T>
{
    private readonly object _lock = new();
    private readonly List<Channel<T>> _subscribers = [];
    private bool _completed;

    public IAsyncEnumerable<T> Subscribe(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            if (_completed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
            }
        }

        return ReadAsync(channel, cancellationToken);
    }

    /// <summary>Subscribes now and returns the subscription's reader (it ends with <see cref="Complete"/>).</summary>
    public ChannelReader<T> SubscribeReader()
    {
        var channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            if (_completed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
            }
        }

        return channel.Reader;
    }

    public void Publish(T item)
    {
        lock (_lock)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>Ends every subscription (after what was published) and refuses new ones.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
        }
    }

    private async IAsyncEnumerable<T> ReadAsync(Channel<T> channel, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
