using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// Delivers watch events and state changes to user callbacks on one loop, one at a time, in the order the client
/// saw them, so a slow or throwing callback never stalls or breaks the reader. Replies that arrive while events are
/// still undelivered are completed on this loop too, after those events (their continuations then run on the thread
/// pool), so a caller never sees new data before the watch event that announced its change.
/// </summary>
internal sealed class EventDispatcher : IAsyncDisposable
{
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly ILogger _logger;
    private readonly Task _loop;
    private int _pending;

    [ThreadStatic]
    private static bool _onLoop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>True while anything posted has not finished running.</summary>
    public bool HasPending => Volatile.Read(ref _pending) > 0;

    public void Post(List<Action<WatchedEvent>> watchers, WatchedEvent e) => Write(new Item(watchers, null, e, null, null));

    public void Post(Action<WatchedEvent> watcher, WatchedEvent e) => Write(new Item(null, watcher, e, null, null));

    public void Post(Action action) => Write(new Item(null, null, null, action, null));

    /// <summary>Posts <paramref name="action"/> behind everything posted so far; false when the loop has ended (it never runs then).</summary>
    public bool TryPost(Action action) => Write(new Item(null, null, null, action, null));

    public void PostCompletion(PendingRequest request) => Write(new Item(null, null, null, null, request));

    private bool Write(Item item)
    {
        Interlocked.Increment(ref _pending);
        if (!_channel.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _pending);
            item.Completion?.Complete(forceAsync: true); // closing: still hand the reply over
            return false;
        }

        return true;
    }

    private async Task RunAsync()
    {
        await foreach (var item in _channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _onLoop = true;
            try
            {
                Run(item);
            }
            catch (Exception ex)
            {
                Log.CallbackFailed(_logger, ex);
            }
            finally
            {
                _onLoop = false;
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private void Run(in Item item)
    {
        if (item.Completion is not null)
        {
            item.Completion.Complete(forceAsync: true);
        }
        else if (item.Action is not null)
        {
            item.Action();
        }
        else if (item.Single is not null)
        {
            Diagnostics.ClientTelemetry.WatchEvents.Add(1);
            item.Single(item.Event!);
        }
        else if (item.Many is not null)
        {
            Diagnostics.ClientTelemetry.WatchEvents.Add(1);
            foreach (var w in item.Many)
            {
                try
                {
                    w(item.Event!);
                }
                catch (Exception ex)
                {
                    Log.CallbackFailed(_logger, ex);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        if (!_onLoop)
        {
            // Let already-posted callbacks (e.g. the final Closed events) run; a callback disposing the client skips this.
            await _loop.ConfigureAwait(false);
        }
    }

    private readonly record struct Item(List<Action<WatchedEvent>>? Many, Action<WatchedEvent>? Single, WatchedEvent? Event, Action? Action, PendingRequest? Completion);
}
