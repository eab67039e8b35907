using System.Globalization;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;

namespace Orleans.ZooKeeper.Tool.Connecting;

/// <summary>One session with the ensemble for one command, rooted at the target's path (the containers' base path).</summary>
internal sealed class ToolSession : IAsyncDisposable
{
    private ToolSession(ZooKeeperTarget target, ZooKeeperClient client)
    {
        Target = target;
        Client = client;
    }

    public ZooKeeperTarget Target { get; }

    public ZooKeeperClient Client { get; }

    /// <summary>The base path: what containers and providers on this target write below.</summary>
    public string BasePath => Target.Path;

    /// <summary>Connects, waiting at most <paramref name="timeout"/>; a clear <see cref="ToolException"/> when no session comes.</summary>
    public static async Task<ToolSession> OpenAsync(ZooKeeperTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var options = target.ToClientOptions();
        options.RunContinuationsAsynchronously = true;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var client = await ZooKeeperClient.ConnectAsync(options, null, deadline.Token).ConfigureAwait(false);
            return new ToolSession(target, client);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ToolException($"No session with ZooKeeper {target} within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (servers from {target.ServersSource}): is it running and reachable? (--timeout sets the wait)", ExitCodes.Unreachable);
        }
        catch (ArgumentException ex)
        {
            // The client refuses unusable settings up front (TLS files that hold no certificate or key, ...).
            throw new ToolException($"Cannot connect to ZooKeeper {target}: {ex.Message}", ExitCodes.Failed, ex);
        }
        catch (ConnectionLossException ex)
        {
            throw new ToolException($"Cannot reach ZooKeeper {target}: {ex.Message}", ExitCodes.Unreachable, ex);
        }
        catch (ZooKeeperException ex)
        {
            throw new ToolException($"ZooKeeper {target} refused the session: {ex.Message}", ExitCodes.Unreachable, ex);
        }
    }

    /// <summary><paramref name="relative"/> below the base path.</summary>
    public string PathOf(string relative) => relative.Length == 0 ? BasePath : ZooKeeperPath.Combine(BasePath, relative);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.CloseAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or TimeoutException or ObjectDisposedException)
        {
            // Leaving anyway: the session expires on its own.
        }

        await Client.DisposeAsync().ConfigureAwait(false);
    }
}
