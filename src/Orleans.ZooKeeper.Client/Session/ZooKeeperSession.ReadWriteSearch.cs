using System.Text;
using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Transport;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// While connected to a read-only server, look for a read-write one in the background (as the Java client does:
/// ask the other servers in turn with the <c>isro</c> four-letter word, over TLS when configured, waiting 100 ms
/// at first and twice as long after each miss, up to 60 s) and move to the first that answers <c>rw</c>.
/// </summary>
internal sealed partial class ZooKeeperSession
{
    private static readonly TimeSpan FirstSearchDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxSearchDelay = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private void StartReadWriteSearch(Connection readOnly)
    {
        var thread = new Thread(() => SearchReadWrite(readOnly)) { IsBackground = true, Name = "ZooKeeper read-write search" };
        thread.UnsafeStart();
    }

    private void SearchReadWrite(Connection readOnly)
    {
        try
        {
            SearchReadWriteCore(readOnly);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
        {
            // The client is closing.
        }
    }

    private void SearchReadWriteCore(Connection readOnly)
    {
        var delay = FirstSearchDelay;
        var stop = new[] { _shutdown.Token.WaitHandle, ((IAsyncResult)readOnly.Closed).AsyncWaitHandle };
        while (WaitHandle.WaitAny(stop, delay) == WaitHandle.WaitTimeout)
        {
            if (_servers.NextProbe(readOnly.Server) is not { } candidate)
            {
                return; // a single server: nothing else to try
            }

            if (AskIsReadOnly(candidate) == "rw")
            {
                Log.ReadWriteServerFound(_logger, candidate.ToString(), readOnly.Server.ToString());
                _servers.Prefer(candidate);
                readOnly.Abort(new IOException($"moving from read-only server {readOnly.Server} to read-write server {candidate}"));
                return;
            }

            delay = delay * 2 > MaxSearchDelay ? MaxSearchDelay : delay * 2;
        }
    }

    /// <summary>Sends <c>isro</c> and returns the answer ("rw" or "ro"), or null when the server cannot be asked.</summary>
    private string? AskIsReadOnly(ServerAddress server)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        deadline.CancelAfter(ProbeTimeout);
        try
        {
            using var transport = _connector.Connect(server, deadline.Token);
            transport.Stream.Write("isro"u8);
            var answer = new byte[16];
            var length = 0;
            while (length < answer.Length)
            {
                var n = transport.Stream.Read(answer, length, answer.Length - length);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            return Encoding.ASCII.GetString(answer, 0, length).Trim();
        }
        catch (Exception ex) when (ex is ConnectAttemptException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return null;
        }
    }
}
