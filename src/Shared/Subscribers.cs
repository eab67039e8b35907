using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Orleans.ZooKeeper.Shared;

/// <summary>
/// Fans items out to async-stream subscribers, each with its own unbounded channel, in publish order. A subscription
/// starts when <see cref="Subscribe"/> is called (not at the first enumeration) and ends, after what it was given, with
/// <see cref="Complete"/>. One source file, compiled into the client (its <c>StateChangesAsync</c>) and into
/// Orleans.ZooKeeper (the announcer), so the logic lives in one place without either exporting internals.
/// </summary>
internal sealed class Subscribers<T>
{
    private readonly object _lock = new();
    private readonly List<Channel<T>> _channels = [];
    private bool _completed;

    /// <summary>Every item published from now on.</summary>
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
                _channels.Add(channel);
            }
        }

        return ReadAsync(channel, cancellationToken);
    }

    /// <summary>Hands <paramref name="item"/> to every current subscriber (never blocks).</summary>
    public void Publish(T item)
    {
        lock (_lock)
        {
            foreach (var channel in _channels)
            {
                channel.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>Ends every subscription (after what was published) and refuses new ones.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (var channel in _channels)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    private async IAsyncEnumerable<T> ReadAsync(Channel<T> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
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
                _channels.Remove(channel);
            }
        }
    }
}
