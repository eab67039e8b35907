using System.Net;
using System.Net.Sockets;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// Allocates free TCP ports on 127.0.0.1 for test servers.
/// </summary>
/// <remarks>
/// <para>
/// A port is handed out at most once per process, so two fixtures never get the same one even after the
/// first has been stopped (a stopped server keeps its port for a later restart).
/// </para>
/// <para>
/// Ports are preferably picked below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>):
/// ports from that range are also used as local ports of outgoing connections, so a server killed and
/// restarted on such a port could find it taken by some client socket. Each candidate is checked by binding it
/// on 127.0.0.1. A port is also reserved across processes (parallel test assemblies) by holding an exclusive
/// lock on a file under <c>{temp}/orleans-zk-tests/.ports</c> until this process exits. When no range below
/// the ephemeral one is usable, the kernel picks (bind to port 0).
/// </para>
/// </remarks>
public static class FreePort
{
    private const int PreferredLow = 20000;
    private static readonly object Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly List<FileStream> Reservations = [];
    private static (int Low, int High)? range;
    private static bool rangeComputed;

    /// <summary>Returns a TCP port that is free on 127.0.0.1 and was not handed out before in this process.</summary>
    /// <exception cref="InvalidOperationException">No free port was found.</exception>
    public static int Next()
    {
        lock (Gate)
        {
            (int Low, int High)? preferred = GetPreferredRange();
            for (int attempt = 0; attempt < 500; attempt++)
            {
                int port = preferred is { } r && attempt < 400
                    ? Random.Shared.Next(r.Low, r.High + 1)
                    : BindAnyPort();
                if (port <= 0 || HandedOut.Contains(port) || !CanBind(port) || !TryReserveAcrossProcesses(port))
                {
                    continue;
                }

                HandedOut.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException("Could not find a free TCP port on 127.0.0.1.");
    }

    /// <summary>Returns <paramref name="count"/> distinct free ports (see <see cref="Next()"/>).</summary>
    /// <param name="count">How many ports.</param>
    public static int[] Next(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var ports = new int[count];
        for (int i = 0; i < count; i++)
        {
            ports[i] = Next();
        }

        return ports;
    }

    private static (int Low, int High)? GetPreferredRange()
    {
        if (rangeComputed)
        {
            return range;
        }

        rangeComputed = true;
        int ephemeralLow = 32768;
        try
        {
            string text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            string[] parts = text.Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && int.TryParse(parts[0], out int low))
            {
                ephemeralLow = low;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        int high = ephemeralLow - 1;
        range = high - PreferredLow >= 1000 ? (PreferredLow, high) : null;
        return range;
    }

    private static int BindAnyPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool TryReserveAcrossProcesses(int port)
    {
        try
        {
            string dir = Path.Combine(TestDirectories.Root, ".ports");
            Directory.CreateDirectory(dir);
            // FileShare.None is an exclusive advisory lock (flock) on Unix, released by the kernel when this
            // process exits, even if it crashes.
            var stream = new FileStream(
                Path.Combine(dir, port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".lock"),
                FileMode.OpenOrCreate,
                FileAccess.ReadWrite,
                FileShare.None);
            Reservations.Add(stream);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            // Cannot coordinate through the file system: fall back to the in-process check alone.
            return true;
        }
    }
}
