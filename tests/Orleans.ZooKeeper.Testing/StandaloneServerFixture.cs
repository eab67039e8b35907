namespace Orleans.ZooKeeper.Testing;

/// <summary>One standalone ZooKeeper server (tick time 200 ms) shared by a test collection; a project declares the collection.</summary>
public sealed class StandaloneServerFixture : IAsyncDisposable
{
    private ZooKeeperServer? _server;

    public ZooKeeperServer Server => _server ?? throw new InvalidOperationException("The server has not been started.");

    public async Task StartAsync() => _server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 }).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
