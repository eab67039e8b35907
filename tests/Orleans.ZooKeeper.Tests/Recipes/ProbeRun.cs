using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>A probe's <c>event NAME token timestamp [reason]</c> line.</summary>
internal sealed record ProbeEvent(int Process, string Name, long Token, long Timestamp, string Reason)
{
    public static ProbeEvent Parse(int process, string line)
    {
        var parts = line.Split(' ', 5);
        return new ProbeEvent(process, parts[1], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture), parts.Length > 4 ? parts[4] : string.Empty);
    }
}

/// <summary>A set of probe processes with a log directory of their own, and the waits the process tests share.</summary>
internal sealed class ProbeRun : IAsyncDisposable
{
    private readonly List<ProbeProcess> _probes = [];
    private readonly ITestOutputHelper _output;

    public ProbeRun(ITestOutputHelper output)
    {
        _output = output;
        LogDirectory = Path.Combine(Path.GetTempPath(), "orleans-zk-probes", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(LogDirectory);
        BasePath = "/probes-" + Guid.NewGuid().ToString("N")[..8];
    }

    public string LogDirectory { get; }

    public string BasePath { get; }

    public IReadOnlyList<ProbeProcess> Probes => _probes;

    public ProbeProcess Start(string mode, string servers, TimeSpan sessionTimeout, string policy = "giveup", int holdMs = 0)
    {
        var probe = ProbeProcess.Start(_probes.Count, mode, servers, BasePath, "jobs", sessionTimeout, LogDirectory, policy, holdMs);
        _probes.Add(probe);
        return probe;
    }

    public ClaimLog Claims() => ClaimLog.Read(_probes);

    /// <summary>Every LEADER/FOLLOWER/ACQUIRED/LOST event the probes logged, in time order.</summary>
    public List<ProbeEvent> Events()
        => [.. _probes.SelectMany(p => p.Lines().Where(l => l.StartsWith("event ", StringComparison.Ordinal)).Select(l => ProbeEvent.Parse(p.Index, l))).OrderBy(e => e.Timestamp)];

    /// <summary>Waits for the first claim after <paramref name="since"/> that satisfies <paramref name="filter"/>.</summary>
    public async Task<Claim> WaitForClaimAsync(long since, Func<Claim, bool>? filter, TimeSpan timeout, string what)
    {
        Claim? found = null;
        await TestWait.UntilAsync(() => (found = Claims().FirstAfter(since, filter)) is not null, timeout, what + "\n" + Tail());
        return found!;
    }

    /// <summary>Waits until a line of a probe's log matches.</summary>
    public Task WaitForLineAsync(ProbeProcess probe, Func<string, bool> match, TimeSpan timeout, string what)
        => TestWait.UntilAsync(() => probe.Lines().Any(match), timeout, what + "\n" + Tail());

    /// <summary>Fails with the violations, if any; reports the summary.</summary>
    public ClaimLog AssertNeverTwoLeaders()
    {
        var claims = Claims();
        var violations = claims.Violations();
        _output.WriteLine("safety check: " + claims.Summary() + $", {violations.Count} violations");
        Assert.True(violations.Count == 0, "two processes believed to lead at once:\n" + string.Join("\n", violations) + "\n" + Tail());
        return claims;
    }

    /// <summary>The last event and state lines of every probe (for failure messages).</summary>
    public string Tail()
        => string.Join("\n", _probes.Select(p => $"probe {p.Index} (pid {p.Pid}{(p.HasExited ? ", exited" : string.Empty)}): " + string.Join(" | ", p.Lines().Where(l => !l.StartsWith("claim", StringComparison.Ordinal)).TakeLast(8))));

    public async ValueTask DisposeAsync()
    {
        foreach (var probe in _probes)
        {
            await probe.DisposeAsync();
        }

        try
        {
            Directory.Delete(LogDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
