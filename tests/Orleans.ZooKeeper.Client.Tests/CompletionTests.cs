namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>Where continuations run, what happens when one blocks, and the order of events and replies.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class CompletionTests(SharedServerFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Continuations_run_on_the_reader_by_default_and_on_the_thread_pool_when_asked(bool asyncContinuations)
    {
        await using var gate = new GatedServer();
        var options = FakeScenarios.Options(gate.Address);
        options.RunContinuationsAsynchronously = asyncContinuations;
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        // A reply arriving while connect-time events are still queued completes behind them, off the reader (by design).
        await Clients.EventsDeliveredAsync(client);

        // The reply is held back until the continuation is registered, so it cannot run on this thread.
        var where = Where(client.ExistsAsync("/x"));
        await gate.RequestReceived.WithTimeout();
        gate.Open();
        var (name, pool) = await where.WithTimeout();
        if (asyncContinuations)
        {
            Assert.True(pool, $"ran on '{name}'");
        }
        else
        {
            Assert.StartsWith("ZooKeeper reader", name);
        }

        static async Task<(string? Name, bool Pool)> Where(ValueTask<Stat?> reply)
        {
            await reply.ConfigureAwait(false);
            return (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread);
        }
    }

    [Fact]
    public async Task A_continuation_that_blocks_on_another_call_of_the_same_client_does_not_deadlock_it()
    {
        await using var gate = new GatedServer();
        await using var client = await ZooKeeperClient.ConnectAsync(FakeScenarios.Options(gate.Address));
        // A reply arriving while connect-time events are still queued completes behind them, off the reader (by design).
        await Clients.EventsDeliveredAsync(client);
        var blocked = BlockInside(client, client.ExistsAsync("/x"));
        await gate.RequestReceived.WithTimeout();
        gate.Open();
        var outcome = await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("ZooKeeper reader", outcome.Thread);
        Assert.NotNull(outcome.Stat);

        // The client keeps working, also for calls that block again.
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull((await BlockInside(client, client.ExistsAsync("/x")).WaitAsync(TimeSpan.FromSeconds(10))).Stat);
        }

        Assert.Equal(ConnectionState.Connected, client.State);

        static async Task<(string? Thread, Stat? Stat)> BlockInside(ZooKeeperClient client, ValueTask<Stat?> first)
        {
            await first.ConfigureAwait(false);
            var thread = System.Threading.Thread.CurrentThread.Name;

            // Sync over async on the reader thread: the reply it waits for can only be read by another thread.
            var stat = client.ExistsAsync("/y").AsTask().GetAwaiter().GetResult();
            return (thread, stat);
        }
    }

    /// <summary>A fake server that holds back its replies until <see cref="Open"/>, then answers everything with a Stat.</summary>
    private sealed class GatedServer : IAsyncDisposable
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly FakeZooKeeperServer _server;

        public GatedServer()
        {
            _server = new FakeZooKeeperServer(async c =>
            {
                await c.HandshakeAsync(0x6a7e_0000_0000_0001);
                var first = await c.ReadRequestAsync();
                _received.TrySetResult();
                await _open.Task;
                await c.SendReplyAsync(first.Xid, body: new JuteWriter().Stat(Jute.SampleStat).ToArray());
                await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: new JuteWriter().Stat(Jute.SampleStat).ToArray()));
            });
        }

        public string Address => _server.Address;

        public Task RequestReceived => _received.Task;

        public void Open() => _open.TrySetResult();

        public ValueTask DisposeAsync()
        {
            Open();
            return _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_watch_event_is_delivered_before_a_reply_that_shows_the_change_it_announced(bool asyncContinuations)
    {
        var options = Clients.Options(fixture.Server.ConnectString);
        options.RunContinuationsAsynchronously = asyncContinuations;
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        await using var writer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var node = Clients.UniquePath("event-order");
        await writer.CreateAsync(node, "0"u8.ToArray());
        var checkedChanges = 0;
        for (var round = 0; round < 30; round++)
        {
            var fired = 0;
            var seen = await client.GetDataAsync(node, _ =>
            {
                Thread.Sleep(5); // a slow callback: the reply must still wait for it
                Volatile.Write(ref fired, 1);
            });
            var set = writer.SetDataAsync(node, Encoding.UTF8.GetBytes(round.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            for (var read = 0; read < 20; read++)
            {
                var now = await client.GetDataAsync(node);
                if (now.Stat.Version > seen.Stat.Version)
                {
                    Assert.Equal(1, Volatile.Read(ref fired));
                    checkedChanges++;
                    break;
                }
            }

            await set;
        }

        Assert.True(checkedChanges > 0, "never read the changed data");
        await writer.DeleteAsync(node);
    }
}
