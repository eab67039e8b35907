using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A loopback TCP proxy in front of a real server, to cut a client off (a network partition) and let it back in,
/// without touching the server.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly object _lock = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _pairs = [];
    private readonly List<TcpClient> _held = [];
    private readonly CancellationTokenSource _cts = new();
    private readonly TcpListener _listener;
    private bool _blocked;
    private bool _holding;
    private int _accepted;

    /// <summary>Starts forwarding a new loopback port to <paramref name="targetPort"/>.</summary>
    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    /// <summary>The proxy's own port.</summary>
    public int Port { get; }

    /// <summary>"127.0.0.1:Port".</summary>
    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Connections accepted since the proxy started (blocked ones and ones whose upstream connect failed included):
    /// how often a client tried to connect.
    /// </summary>
    public int AcceptedCount => Volatile.Read(ref _accepted);

    /// <summary>Connections currently forwarded.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>Drops every connection and refuses (accepts and immediately closes) new ones.</summary>
    public void Block() => Cut(hold: false);

    /// <summary>Lets new connections through again (connections held by <see cref="CutAndHold"/> stay held).</summary>
    public void Unblock()
    {
        lock (_lock)
        {
            _blocked = false;
            _holding = false;
        }
    }

    /// <summary>
    /// Drops every connection and holds new ones open without forwarding anything, in either direction, until the
    /// proxy is disposed: a server that takes a connection and never answers. <see cref="Unblock"/> lets later
    /// connections through.
    /// </summary>
    public void CutAndHold() => Cut(hold: true);

    /// <summary>Drops every forwarded connection; new ones are then refused, or held when <paramref name="hold"/>.</summary>
    private void Cut(bool hold)
    {
        lock (_lock)
        {
            _blocked = !hold;
            _holding = hold;
            foreach (var (c, u) in _pairs)
            {
                c.Dispose();
                u.Dispose();
            }

            _pairs.Clear();
        }
    }

    /// <summary>Connections held open by <see cref="CutAndHold"/> so far.</summary>
    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            bool blocked;
            lock (_lock)
            {
                blocked = _blocked;
                if (_holding)
                {
                    _held.Add(client);
                    continue;
                }
            }

            if (blocked)
            {
                client.Dispose();
                continue;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort);
            }
            catch
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_lock)
            {
                // Block (or CutAndHold) may have run while the upstream connection was being made: it dropped the
                // connections it knew of, so this one must not start forwarding behind its back.
                if (_blocked || _holding)
                {
                    client.Dispose();
                    upstream.Dispose();
                    continue;
                }

                _pairs.Add((client, upstream));
            }

            _ = PumpAsync(client, upstream, fromServer: false);
            _ = PumpAsync(upstream, client, fromServer: true);
        }
    }

    /// <summary>
    /// The next bytes the server sends are swallowed and that connection is cut at once: whatever the client sent
    /// last reaches the server (and may be applied) but its reply is lost. Completes when the cut happened.
    /// </summary>
    public Task DropNextReplyAndCut()
    {
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _dropNextReply = cut;
        }

        return cut.Task;
    }

    private TaskCompletionSource? _dropNextReply;

    private async Task PumpAsync(TcpClient from, TcpClient to, bool fromServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, _cts.Token);
                if (n == 0)
                {
                    break;
                }

                if (fromServer)
                {
                    TaskCompletionSource? drop;
                    lock (_lock)
                    {
                        drop = _dropNextReply;
                        _dropNextReply = null;
                    }

                    if (drop is not null)
                    {
                        from.Dispose();
                        to.Dispose();
                        drop.TrySetResult();
                        break;
                    }
                }

                await output.WriteAsync(buffer.AsMemory(0, n), _cts.Token);
            }
        }
        catch
        {
        }

        from.Dispose();
        to.Dispose();
        lock (_lock)
        {
            _pairs.RemoveAll(p => p.Client == from || p.Upstream == from);
        }
    }

    /// <summary>Stops the proxy and drops every connection.</summary>
    public ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener.Stop();
        Block();
        lock (_lock)
        {
            foreach (var held in _held)
            {
                held.Dispose();
            }

            _held.Clear();
        }

        _cts.Dispose();
        return ValueTask.CompletedTask;
    }
}
