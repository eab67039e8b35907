using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Contention;

/// <summary>
/// Deletes an ephemeral node of a given session as soon as the client can: now when connected, else at the next
/// CONNECTED of that session. Gives up when the session is gone (the node went with it) or the client is closed. The
/// node's name is unique to its creator (<see cref="ProtectedNodes"/>), so deleting it late can never hit someone else's.
/// </summary>
internal static class NodeJanitor
{
    /// <summary>Completes when the node is gone or nothing is left to do; never throws but for cancellation.</summary>
    public static async Task DeleteAsync(ZooKeeperClient client, string path, long sessionId, TimeSpan retryDelay, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (sessionId == 0 || client.SessionId != sessionId || client.KeeperState is KeeperState.Closed or KeeperState.AuthFailed)
            {
                return;
            }

            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            EventHandler<ConnectionStateChange> onChange = (_, _) => changed.TrySetResult();
            client.StateChanged += onChange;
            try
            {
                if (client.State == ConnectionState.Connected)
                {
                    try
                    {
                        await client.DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    catch (NoNodeException)
                    {
                        return;
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                    catch (ZooKeeperException ex) when (ZooKeeperRetryPolicy.IsTransient(ex) || ex is SessionExpiredException)
                    {
                        // Look again after the next state change (or a short pause, for errors that come without one).
                        await Task.WhenAny(changed.Task, Task.Delay(retryDelay, cancellationToken)).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                        continue;
                    }
                }

                await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                client.StateChanged -= onChange;
            }
        }
    }
}
