using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// Servers where nothing listens (the first hour's most common mistake, a wrong port): the first failed attempt is a
/// Warning at once, repeats are rate-limited per server, and connecting fails fast instead of waiting out its timeout.
/// </summary>
public sealed class RefusedConnectionTests
{
    [Fact]
    public async Task Connecting_where_every_server_refuses_fails_after_a_few_rounds_naming_the_servers_not_after_the_timeout()
    {
        var ports = FreePort.Next(2); // nothing listens on them
        var connectString = $"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}";
        var log = new RecordingLogger();
        var clock = Stopwatch.StartNew();
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = connectString }, log);
        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(60)));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"failed after {clock.Elapsed.TotalSeconds:0.0} s, not at once");
        Assert.Contains("refused the connection, 3 round(s) in a row", error.Message, StringComparison.Ordinal);
        Assert.Contains(connectString, error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", error.Message, StringComparison.Ordinal);
        Assert.True(client.EveryServerRefused);

        // Each server's first failure is a Warning at once; every attempt is at Debug.
        var warnings = log.Of(14);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains(warnings, w => w.Message.Contains($"127.0.0.1:{ports[0]}", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains($"127.0.0.1:{ports[1]}", StringComparison.Ordinal));
        Assert.True(log.Of(3).Count >= 6, "every attempt at Debug:\n" + log.Dump());
    }

    [Fact]
    public async Task Repeated_failures_are_reported_once_per_server_per_interval_with_a_count()
    {
        var port = FreePort.Next();
        var log = new RecordingLogger();
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = $"127.0.0.1:{port}", RefusedRoundsBeforeFailing = 0, ReconnectBackoff = TimeSpan.FromMilliseconds(100) }, log);
        _ = client.WaitUntilConnectedAsync(Timeout.InfiniteTimeSpan).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        await TestWait.UntilAsync(() => log.Of(3).Count >= 10, TimeSpan.FromSeconds(30), "ten failed attempts");
        var warnings = log.Of(14);
        var attempts = log.Of(3);
        var span = attempts[^1].At - attempts[0].At;
        Assert.InRange(warnings.Count, 1, 1 + (int)(span.TotalSeconds / 5));
        Assert.True(warnings.Count < attempts.Count, log.Dump());

        // After the interval the next report carries the count of the attempts in between.
        await TestWait.UntilAsync(() => log.Of(14).Count >= 2, TimeSpan.FromSeconds(30), "a second report");
        Assert.Matches(@"\(\d+ more failed attempt\(s\) since the last report\)", log.Of(14)[1].Message);
    }

    [Fact]
    public async Task With_the_rule_off_a_refused_server_is_waited_for_until_the_timeout()
    {
        var port = FreePort.Next();
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = $"127.0.0.1:{port}", RefusedRoundsBeforeFailing = 0 });
        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(2)));
        Assert.Contains("within 2000 ms", error.Message, StringComparison.Ordinal);
        Assert.False(client.EveryServerRefused);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = $"127.0.0.1:{port}", RefusedRoundsBeforeFailing = -1 }); });
    }
}
