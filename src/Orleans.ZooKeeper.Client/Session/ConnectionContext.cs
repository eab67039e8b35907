using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Watches;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>What every connection of a session shares: fixed settings and the components replies feed.</summary>
internal sealed class ConnectionContext(Chroot chroot, int maxPacketSize, WatchManager watches, EventDispatcher dispatcher, ILogger logger)
{
    public Chroot Chroot { get; } = chroot;

    public int MaxPacketSize { get; } = maxPacketSize;

    public WatchManager Watches { get; } = watches;

    public EventDispatcher Dispatcher { get; } = dispatcher;

    public ILogger Logger { get; } = logger;

    private long _lastZxid;

    /// <summary>The highest zxid seen in a reply (sent with the next handshake and SetWatches).</summary>
    public long LastZxid => Interlocked.Read(ref _lastZxid);

    public void ObserveZxid(long zxid)
    {
        var current = Interlocked.Read(ref _lastZxid);
        while (zxid > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastZxid, zxid, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>A new session starts from zero.</summary>
    public void ResetZxid() => Interlocked.Exchange(ref _lastZxid, 0);
}

/// <summary>What a connection tells its session: the one narrow way back up.</summary>
internal interface IConnectionEvents
{
    /// <summary>A watch notification arrived (on the reader, in wire order).</summary>
    void OnNotification(in WatcherEvent notification);

    /// <summary>The server refused the session's credentials; it closes the connection next.</summary>
    void OnAuthFailed(Connection connection, ErrorCode error);

    /// <summary>The connection is closed; its in-flight requests have been failed. Called once.</summary>
    void OnClosed(Connection connection, Exception reason);
}

/// <summary>How a send attempt on a connection ended.</summary>
internal enum SendOutcome
{
    /// <summary>In the outgoing batch and waiting for its reply.</summary>
    Sent,

    /// <summary>The connection is closed: nothing was written.</summary>
    Closed,

    /// <summary>The frame exceeds the packet limit: nothing was written.</summary>
    TooLarge,
}
