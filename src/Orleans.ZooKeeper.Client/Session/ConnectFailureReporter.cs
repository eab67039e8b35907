namespace Orleans.ZooKeeper.Client.Session;

/// <summary>
/// Decides which failed connection attempts are reported at Warning: the first of a streak at once (the server and the
/// cause), then at most one line per server every <see cref="Interval"/> with the count of the attempts in between;
/// a successful connection ends the streak. Every attempt is still logged at Debug. Used by the send loop only.
/// </summary>
internal sealed class ConnectFailureReporter
{
    /// <summary>The shortest time between two reports about one server.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<ServerAddress, (long ReportedAt, int Unreported)> _servers = [];

    /// <summary>True when this failure is to be reported; <paramref name="unreported"/> is how many were not since the last report.</summary>
    public bool ShouldReport(ServerAddress server, long now, out int unreported)
    {
        if (_servers.TryGetValue(server, out var state) && now - state.ReportedAt < (long)Interval.TotalMilliseconds)
        {
            _servers[server] = (state.ReportedAt, state.Unreported + 1);
            unreported = 0;
            return false;
        }

        unreported = state.Unreported;
        _servers[server] = (now, 0);
        return true;
    }

    /// <summary>The server answered: its next failure is reported at once.</summary>
    public void Connected(ServerAddress server) => _servers.Remove(server);
}
