using System.Diagnostics;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Testing.Tests;

public class StandaloneServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StartsAndAnswersSrvrWithStandaloneMode()
    {
        CancellationToken ct = TestUtil.Timeout();
        var clock = Stopwatch.StartNew();
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(cancellationToken: ct);
        output.WriteLine($"started in {clock.ElapsedMilliseconds} ms: {server}");

        Assert.True(server.IsRunning);
        Assert.True(server.Pid > 0);
        Assert.True(TestUtil.ProcessExists(server.Pid));
        Assert.Equal("127.0.0.1:" + server.Port, server.ConnectString);
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "orleans-zk-tests"), server.DataDir);

        string srvr = await server.FourLetterWordAsync("srvr", ct);
        Assert.Contains("Mode: standalone", srvr);
        Assert.Equal(ZooKeeperMode.Standalone, await server.GetModeAsync(ct));
        Assert.Equal("imok", await server.FourLetterWordAsync("ruok", ct));
    }

    [Fact]
    public async Task OptionsReachTheServerConfig()
    {
        CancellationToken ct = TestUtil.Timeout();
        var options = new ZooKeeperServerOptions
        {
            TickTime = 500,
            MinSessionTimeout = 1000,
            MaxSessionTimeout = 7000,
            ExtendedTypes = true,
            MaxBuffer = 4 * 1024 * 1024,
            ExtraConfig = ["globalOutstandingLimit=5000"],
        };
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(options, ct);

        string conf = await server.FourLetterWordAsync("conf", ct);
        output.WriteLine(conf);
        Assert.Contains("tickTime=500", conf);
        Assert.Contains("minSessionTimeout=1000", conf);
        Assert.Contains("maxSessionTimeout=7000", conf);

        string config = await File.ReadAllTextAsync(server.ConfigPath, ct);
        Assert.Contains("globalOutstandingLimit=5000", config);
        string cmdline = (await File.ReadAllTextAsync($"/proc/{server.Pid}/cmdline", ct)).Replace('\0', ' ');
        Assert.Contains("-Dzookeeper.extendedTypesEnabled=true", cmdline);
        Assert.Contains("-Djute.maxbuffer=4194304", cmdline);
        Assert.Contains("-Dzookeeper.forceSync=no", cmdline);

        // The negotiated timeout is clamped to [min, max].
        await using RawSession session = await RawSession.ConnectAsync(server.Port, 60000, ct);
        Assert.Equal(7000, session.NegotiatedTimeout);
        Assert.Contains(session.SessionId, await server.GetConnectedSessionIdsAsync(ct));
    }

    [Fact]
    public async Task KillClosesThePortAndEndsTheProcess()
    {
        CancellationToken ct = TestUtil.Timeout();
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(cancellationToken: ct);
        int pid = server.Pid;

        await server.KillAsync(ct);

        Assert.False(server.IsRunning);
        Assert.Equal(pid, server.Pid);
        Assert.False(TestUtil.ProcessExists(pid));
        Assert.False(await TestUtil.PortAcceptsAsync(server.Port));
        Assert.Equal(ZooKeeperMode.NotServing, await server.GetModeAsync(ct));
    }

    [Fact]
    public async Task RestartComesBackOnTheSamePortWithTheSameData()
    {
        CancellationToken ct = TestUtil.Timeout();
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(cancellationToken: ct);
        int port = server.Port;
        int firstPid = server.Pid;
        await using (RawSession session = await RawSession.ConnectAsync(port, 4000, ct))
        {
            Assert.NotEqual(0, session.SessionId);
        }

        await server.KillAsync(ct);
        var clock = Stopwatch.StartNew();
        await server.RestartAsync(ct);
        output.WriteLine($"restarted after kill in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(port, server.Port);
        Assert.NotEqual(firstPid, server.Pid);
        Assert.True(server.IsRunning);
        Assert.Equal(ZooKeeperMode.Standalone, await server.GetModeAsync(ct));
        // The data dir survived: the restarted server loaded the transaction log holding the session.
        Assert.NotEmpty(Directory.GetFiles(server.ZooKeeperDataDir, "log.*", SearchOption.AllDirectories));

        // Restart of a running server stops it gracefully first.
        int secondPid = server.Pid;
        clock.Restart();
        await server.RestartAsync(ct);
        output.WriteLine($"graceful restart in {clock.ElapsedMilliseconds} ms");
        Assert.NotEqual(secondPid, server.Pid);
        Assert.False(TestUtil.ProcessExists(secondPid));
        Assert.Equal(port, server.Port);
        Assert.Equal(ZooKeeperMode.Standalone, await server.GetModeAsync(ct));
    }

    [Fact]
    public async Task PauseStopsAnsweringAndResumeContinues()
    {
        CancellationToken ct = TestUtil.Timeout();
        await using ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(cancellationToken: ct);

        server.Pause();
        Assert.True(server.IsPaused);
        Assert.True(server.IsRunning);
        await Assert.ThrowsAsync<TimeoutException>(() => server.FourLetterWordAsync("srvr", TimeSpan.FromSeconds(1), ct));
        Assert.Equal(ZooKeeperMode.NotServing, await server.GetModeAsync(ct));

        server.Resume();
        Assert.False(server.IsPaused);
        Assert.Contains("Mode: standalone", await server.FourLetterWordAsync("srvr", ct));

        // A paused server can still be stopped: Stop resumes it so it can handle SIGTERM.
        server.Pause();
        int pid = server.Pid;
        await server.StopAsync(ct);
        Assert.False(server.IsRunning);
        Assert.False(TestUtil.ProcessExists(pid));
    }

    [Fact]
    public async Task DisposeRemovesTheDataDirAndTheProcess()
    {
        CancellationToken ct = TestUtil.Timeout();
        ZooKeeperServer server = await ZooKeeperServer.StartNewAsync(cancellationToken: ct);
        int pid = server.Pid;
        string dir = server.DataDir;
        Assert.True(Directory.Exists(dir));
        Assert.True(File.Exists(server.LogPath));

        await server.DisposeAsync();

        Assert.False(Directory.Exists(dir));
        Assert.False(TestUtil.ProcessExists(pid));
        Assert.False(await TestUtil.PortAcceptsAsync(server.Port));
        await server.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task StartFailureReportsTheLogTail()
    {
        CancellationToken ct = TestUtil.Timeout();
        await using var server = new ZooKeeperServer(new ZooKeeperServerOptions { ExtraConfig = ["tickTime=not-a-number"] });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync(ct));
        output.WriteLine(e.Message);
        Assert.Contains("not running", e.Message);
        Assert.Contains("not-a-number", e.Message);
    }
}
