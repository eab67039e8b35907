using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>A server with a short tickTime so sessions can expire within a test.</summary>
public sealed class FastTickServerFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
        => Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class SessionTests(FastTickServerFixture fixture) : IClassFixture<FastTickServerFixture>
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task States_start_lost_then_connected_and_close_reports_lost_and_removes_ephemerals()
    {
        var client = new ZooKeeperClient(Clients.Options(fixture.Server.ConnectString, SessionTimeout));
        var states = new StateRecorder(client);
        Assert.Equal(ConnectionState.Lost, client.State);
        await client.ConnectAsync();
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(KeeperState.SyncConnected, client.KeeperState);
        Assert.InRange(client.NegotiatedSessionTimeout.TotalMilliseconds, 400, 4000);
        Assert.Equal("127.0.0.1:" + fixture.Server.Port, client.CurrentServer);

        await using var observer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var node = Clients.UniquePath("eph");
        await client.CreateAsync(node, mode: CreateMode.Ephemeral);
        await client.CloseAsync();
        Assert.Null(await observer.ExistsAsync(node));
        Assert.Equal(ConnectionState.Lost, client.State);
        Assert.Equal(KeeperState.Closed, client.KeeperState);
        await states.WaitForAsync(s => s.Count == 2);
        Assert.Equal(new[] { ConnectionState.Connected, ConnectionState.Lost }, states.States);
        Assert.Equal(ConnectionState.Lost, states.Snapshot()[0].PreviousState);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.ExistsAsync("/"));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_dropped_connection_suspends_then_resumes_the_same_session_with_watches()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await Clients.ConnectAsync(proxy.ConnectString, SessionTimeout);
        await using var writer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var states = await StateRecorder.AfterConnectAsync(client);
        var session = client.SessionId;
        var node = Clients.UniquePath("resume");
        await client.CreateAsync(node, mode: CreateMode.Ephemeral);
        var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.GetDataAsync(node, e => fired.TrySetResult(e));

        proxy.Block();
        await states.WaitForAsync(s => s.Any(c => c.State == ConnectionState.Suspended));
        Assert.Equal(KeeperState.Disconnected, client.KeeperState);
        await writer.SetDataAsync(node, "changed while away"u8.ToArray());
        proxy.Unblock();
        await states.WaitForAsync(s => s.Count >= 2 && s[^1].State == ConnectionState.Connected);

        Assert.Equal(session, client.SessionId);
        Assert.Equal(new[] { ConnectionState.Suspended, ConnectionState.Connected }, states.States);
        // The watch was re-registered with the last zxid seen, so the change made while away is reported.
        var evt = await fired.Task.WithTimeout();
        Assert.Equal(EventType.NodeDataChanged, evt.Type);
        Assert.NotNull(await writer.ExistsAsync(node));
    }

    [Fact]
    public async Task A_reconnect_attempt_the_server_never_answers_costs_one_attempt_not_the_session()
    {
        // ZooKeeper 3.8 can leave open a connection it accepted while still starting (closing it throws), and never
        // answers the handshake sent on it. With one server, the usual connect timeout (session timeout ÷ servers)
        // would let that single attempt outlast the session.
        var sessionTimeout = TimeSpan.FromSeconds(4);
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await Clients.ConnectAsync(proxy.ConnectString, sessionTimeout);
        Assert.Equal(sessionTimeout, client.NegotiatedSessionTimeout);
        var states = await StateRecorder.AfterConnectAsync(client);
        var session = client.SessionId;
        var node = Clients.UniquePath("held");
        await client.CreateAsync(node, mode: CreateMode.Ephemeral);

        proxy.CutAndHold();
        await Wait.UntilAsync(() => proxy.HeldCount >= 1, what: "the client's first attempt after the cut is held");
        var held = System.Diagnostics.Stopwatch.StartNew();
        proxy.Unblock();
        await states.WaitForAsync(s => s.Count >= 2 && s[^1].State == ConnectionState.Connected);
        var back = held.Elapsed;

        Assert.Equal(session, client.SessionId);
        Assert.Equal(new[] { ConnectionState.Suspended, ConnectionState.Connected }, states.States);
        Assert.NotNull(await client.ExistsAsync(node));
        Assert.Equal(1, proxy.HeldCount);
        Assert.True(back < sessionTimeout, $"reconnected {back.TotalMilliseconds:0} ms after the held attempt began; the session timeout is {sessionTimeout.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Pending_requests_fail_with_connection_loss_and_calls_while_suspended_are_bounded()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var options = Clients.Options(proxy.ConnectString, TimeSpan.FromSeconds(4));
        options.DisconnectedRequestTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var patientOptions = Clients.Options(proxy.ConnectString, TimeSpan.FromSeconds(4));
        patientOptions.DisconnectedRequestTimeout = TimeSpan.FromSeconds(10);
        await using var patient = await ZooKeeperClient.ConnectAsync(patientOptions);
        var node = Clients.UniquePath("pending");
        await client.CreateAsync(node);
        var inFlight = Enumerable.Range(0, 500).Select(i => client.SetDataAsync(node, BitConverter.GetBytes(i)).AsTask()).ToArray();
        proxy.Block();
        var outcomes = await Task.WhenAll(inFlight.Select(async t =>
        {
            try
            {
                await t;
                return "ok";
            }
            catch (ConnectionLossException)
            {
                return "loss";
            }
        })).WithTimeout(TimeSpan.FromSeconds(10));
        Assert.All(outcomes, o => Assert.True(o is "ok" or "loss"));

        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended);
        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<ConnectionLossException>(async () => await client.GetDataAsync(node));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.Contains("DisconnectedRequestTimeout", ex.Message);
        Assert.Equal(node, ex.Path);

        // A call made while suspended that is within its wait completes once the connection is back.
        await Wait.UntilAsync(() => patient.State == ConnectionState.Suspended);
        var waiting = patient.GetDataAsync(node).AsTask();
        Assert.False(waiting.IsCompleted);
        proxy.Unblock();
        await waiting.WithTimeout();
        Assert.Equal(ConnectionState.Connected, patient.State);
    }

    [Fact]
    public async Task Expiry_reports_lost_removes_ephemerals_and_a_new_session_connects()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await Clients.ConnectAsync(proxy.ConnectString, SessionTimeout);
        await using var observer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var states = await StateRecorder.AfterConnectAsync(client);
        var oldSession = client.SessionId;
        var node = Clients.UniquePath("expire");
        await client.CreateAsync(node, mode: CreateMode.Ephemeral);
        var watchEnded = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.ExistsAsync(node, e => watchEnded.TrySetResult(e));

        proxy.Block();
        // The server expires the session once it hears nothing for the negotiated timeout.
        await Wait.UntilAsync(async () => await observer.ExistsAsync(node) is null, TimeSpan.FromSeconds(15), "ephemeral removed by expiry");
        proxy.Unblock();

        await states.WaitForAsync(s => s.Count >= 3 && s[^1].State == ConnectionState.Connected, TimeSpan.FromSeconds(15));
        var seen = states.Snapshot();
        Assert.Equal(new[] { ConnectionState.Suspended, ConnectionState.Lost, ConnectionState.Connected }, seen.Select(c => c.State));
        Assert.Equal(KeeperState.Expired, seen[1].KeeperState);
        Assert.Equal(oldSession, seen[0].SessionId);
        Assert.Equal(oldSession, seen[1].SessionId); // LOST names the session that was lost
        Assert.Contains($"SessionId = 0x{oldSession:x},", seen[1].ToString(), StringComparison.Ordinal);
        Assert.NotEqual(oldSession, client.SessionId);
        Assert.Equal(client.SessionId, seen[2].SessionId);
        var ended = await watchEnded.Task.WithTimeout();
        Assert.Equal(new WatchedEvent(EventType.None, KeeperState.Expired, null), ended);

        // The new session works and owns new ephemerals.
        var again = await client.CreateAsync(node, mode: CreateMode.Ephemeral);
        Assert.Equal(client.SessionId, again.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task Without_reconnect_after_expiry_the_client_stays_lost_and_calls_fail_with_session_expired()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var options = Clients.Options(proxy.ConnectString, SessionTimeout);
        options.ReconnectAfterExpiry = false;
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        await using var observer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var node = Clients.UniquePath("expire-final");
        await client.CreateAsync(node, mode: CreateMode.Ephemeral);
        proxy.Block();
        await Wait.UntilAsync(async () => await observer.ExistsAsync(node) is null, TimeSpan.FromSeconds(15));
        proxy.Unblock();
        await Wait.UntilAsync(() => client.KeeperState == KeeperState.Expired, TimeSpan.FromSeconds(15));
        Assert.Equal(ConnectionState.Lost, client.State);
        await Assert.ThrowsAsync<SessionExpiredException>(async () => await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task Read_timeout_detects_a_silent_server()
    {
        await using var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 });
        await using var client = await Clients.ConnectAsync(server.ConnectString, TimeSpan.FromMilliseconds(1200));
        var states = await StateRecorder.AfterConnectAsync(client);
        server.Pause();
        try
        {
            // Nothing comes back: the client must notice within the read timeout (2/3 of the session timeout).
            await states.WaitForAsync(s => s.Any(c => c.State == ConnectionState.Suspended), TimeSpan.FromSeconds(5));
        }
        finally
        {
            server.Resume();
        }

        await states.WaitForAsync(s => s[^1].State == ConnectionState.Connected, TimeSpan.FromSeconds(15));
    }
}

public sealed class StateStreamAndServerListTests(FastTickServerFixture fixture) : IClassFixture<FastTickServerFixture>
{
    [Fact]
    public async Task State_changes_are_an_async_stream_that_ends_on_close()
    {
        var client = new ZooKeeperClient(Clients.Options(fixture.Server.ConnectString));
        var seen = new List<ConnectionStateChange>();
        var changes = client.StateChangesAsync(); // subscribed from here on
        var reading = Task.Run(async () =>
        {
            await foreach (var change in changes)
            {
                seen.Add(change);
            }
        });
        await client.ConnectAsync();
        await client.CloseAsync();
        await reading.WithTimeout();
        Assert.Equal(new[] { ConnectionState.Connected, ConnectionState.Lost }, seen.Select(c => c.State));
        Assert.Equal(KeeperState.SyncConnected, seen[0].KeeperState);
        Assert.NotEqual(0, seen[0].SessionId);
        Assert.Equal(fixture.Server.ConnectString, seen[0].Server);
        Assert.Equal(KeeperState.Closed, seen[1].KeeperState);
        await client.DisposeAsync();
    }

    [Fact]
    public void Server_list_is_shuffled_once_and_tried_round_robin()
    {
        var servers = Enumerable.Range(1, 8).Select(i => new ServerAddress("127.0.0.1", 20000 + i)).ToArray();
        var orders = new HashSet<string>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var list = new Session.ServerList(servers, shuffle: true);
            var firstRound = Enumerable.Range(0, 8).Select(_ => list.Next()).ToArray();
            var secondRound = Enumerable.Range(0, 8).Select(_ => list.Next()).ToArray();
            Assert.Equal(servers.Select(s => s.Port), firstRound.Select(s => s.Port).Order());
            Assert.Equal(firstRound, secondRound);
            orders.Add(string.Join(",", firstRound));
        }

        Assert.True(orders.Count > 1, "20 shuffles of 8 servers all gave the same order");
        var fixedList = new Session.ServerList(servers, shuffle: false);
        Assert.Equal(servers, Enumerable.Range(0, 8).Select(_ => fixedList.Next()));
    }

    [Fact]
    public async Task Connect_timeout_per_server_is_the_session_timeout_divided_by_the_server_count()
    {
        // Two silent servers (accept, never answer) before the real one: each attempt must give up after 1/3 of the session timeout.
        using var silent1 = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        using var silent2 = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent1.Start();
        silent2.Start();
        var p1 = ((System.Net.IPEndPoint)silent1.LocalEndpoint).Port;
        var p2 = ((System.Net.IPEndPoint)silent2.LocalEndpoint).Port;
        var options = Clients.Options($"127.0.0.1:{p1},127.0.0.1:{p2},{fixture.Server.ConnectString}", TimeSpan.FromSeconds(3));
        options.ShuffleServers = false;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        // 2 × 1 s of handshake timeouts, then the real server.
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(1900), TimeSpan.FromSeconds(4));
        Assert.Equal(fixture.Server.ConnectString, client.CurrentServer);
    }
}
