using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client.Logging;

namespace Orleans.ZooKeeper.Client.Watches;

/// <summary>
/// Delivers watch events and state changes to user callbacks on one loop, in the order the client saw them,
/// so a slow or throwing callback never stalls or breaks the socket's read loop.
/// </summary>
internal sealed class EventDispatcher : IAsyncDisposable
{
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly ILogger _logger;
    private readonly Task _loop;

    [ThreadStatic]
    private static bool _onLoop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(List<Action<WatchedEvent>> watchers, WatchedEvent e) => _channel.Writer.TryWrite(new Item(watchers, null, e, null));

    public void Post(Action<WatchedEvent> watcher, WatchedEvent e) => _channel.Writer.TryWrite(new Item(null, watcher, e, null));

    public void Post(Action action) => _channel.Writer.TryWrite(new Item(null, null, null, action));

    private async Task RunAsync()
    {
        await foreach (var item in _channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _onLoop = true;
            try
            {
                if (item.Action is not null)
                {
                    item.Action();
                }
                else if (item.Single is not null)
                {
                    item.Single(item.Event!);
                }
                else if (item.Many is not null)
                {
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
            catch (Exception ex)
            {
                Log.CallbackFailed(_logger, ex);
            }
            finally
            {
                _onLoop = false;
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

    private readonly record struct Item(List<Action<WatchedEvent>>? Many, Action<WatchedEvent>? Single, WatchedEvent? Event, Action? Action);
}
