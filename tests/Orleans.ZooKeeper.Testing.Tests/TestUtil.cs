using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Testing.Tests;

internal static class TestUtil
{
    /// <summary>A guard so that a hung test fails instead of blocking the run.</summary>
    public static CancellationToken Timeout(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static bool ProcessExists(int pid) => Directory.Exists("/proc/" + pid);

    public static async Task<bool> PortAcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
