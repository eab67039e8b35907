using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Tests;

/// <summary>
/// The per-attempt connect timeout is bounded independently of the session timeout: a server that accepts TCP and
/// never answers ("black hole"), listed first, must not hold up a container whose session timeout is huge.
/// The server order is fixed through the container (<see cref="ZooKeeperContainerOptions.ConfigureClient"/> turns
/// <see cref="ZooKeeperClientOptions.ShuffleServers"/> off), everything else comes from the configuration section.
/// </summary>
public sealed class ConnectTimeoutTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string HugeSessionTimeout = "2000000"; // seconds: ~23 days, valid (under int.MaxValue ms)

    [Fact]
    public async Task A_black_hole_listed_first_with_a_huge_session_timeout_and_connect_timeout_1_s_connects_within_seconds()
    {
        await using var hole = new BlackHoleServer();
        var logs = new LogCapture();
        var configuration = Section(hole, HugeSessionTimeout, connectTimeout: "1");
        await using var container = NewContainer(configuration, logs);
        Assert.Equal(TimeSpan.FromSeconds(1), container.Target.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), container.Client.Options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2_000_000), container.Client.Options.SessionTimeout);

        var watch = Stopwatch.StartNew();
        await container.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"connected after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(ZooKeeperContainerState.Connected, container.State);
        Assert.Equal(fixture.Server.ConnectString, container.Client.CurrentServer);
        Assert.True(hole.Accepted >= 1, "the black hole, listed first, was tried first");
        AssertLoggedTimeout(logs, hole, "1000 ms");
        Assert.NotNull(await container.Client.ExistsAsync(container.BasePath));
        await container.Client.DeleteRecursiveAsync(container.BasePath);
    }

    [Fact]
    public async Task Without_connect_timeout_a_black_hole_first_holds_up_a_huge_session_timeout_for_10_s_at_most()
    {
        // The client's default (session timeout ÷ servers) is capped at 10 s; before the cap this took
        // 1,000,000 s per attempt and startup gave up after StartupTimeout (30 s).
        await using var hole = new BlackHoleServer();
        var logs = new LogCapture();
        await using var container = NewContainer(Section(hole, HugeSessionTimeout, connectTimeout: null), logs);
        Assert.Null(container.Target.ConnectTimeout);
        Assert.Null(container.Client.Options.ConnectTimeout);

        var watch = Stopwatch.StartNew();
        await container.StartAsync().WaitAsync(TimeSpan.FromSeconds(40));
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"connected after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(fixture.Server.ConnectString, container.Client.CurrentServer);
        Assert.True(hole.Accepted >= 1);
        AssertLoggedTimeout(logs, hole, "10000 ms");
        await container.Client.DeleteRecursiveAsync(container.BasePath);
    }

    [Fact]
    public async Task Startup_against_only_a_black_hole_fails_naming_the_server_and_the_cause_and_never_shows_the_password()
    {
        await using var hole = new BlackHoleServer();
        var password = "bh-pw-" + Guid.NewGuid().ToString("N");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = hole.Address,
            ["zookeeper:session_timeout"] = HugeSessionTimeout,
            ["zookeeper:connect_timeout"] = "0.5",
            ["zookeeper:username"] = "bh-user",
            ["zookeeper:password"] = password,
        }).Build();
        var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var target = ZooKeeperTargetResolver.Resolve(null, configuration, environment: ResolutionTests.NoEnvironment);
        await using var container = new ZooKeeperContainer("black-hole-only", target, new ZooKeeperContainerOptions { StartupTimeout = TimeSpan.FromSeconds(2) }, loggerFactory);

        var ex = await Assert.ThrowsAsync<ZooKeeperStartupException>(() => container.StartAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var cause = $"{hole.Address}: no answer to the session handshake within the connect timeout (500 ms)";
        Assert.Contains("'black-hole-only'", ex.Message);
        Assert.Contains("within 2 s", ex.Message);
        Assert.Contains("Last connection attempt: " + cause, ex.Message);
        Assert.IsType<ConnectionLossException>(ex.InnerException);
        Assert.Equal(cause, container.Client.LastConnectError?.Message);
        Assert.True(hole.Accepted >= 2, $"the client kept trying ({hole.Accepted} attempts)");
        await container.StopAsync();
        Assert.DoesNotContain(password, ex.ToString());
        Assert.Contains(logs.Lines, l => l.StartsWith("Trace", StringComparison.Ordinal) || l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.DoesNotContain(password, l));
    }

    private IConfiguration Section(BlackHoleServer hole, string sessionTimeout, string? connectTimeout)
        => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = $"{hole.Address},{fixture.Server.ConnectString}",
            ["zookeeper:path"] = "/black-hole-" + Guid.NewGuid().ToString("N")[..8],
            ["zookeeper:session_timeout"] = sessionTimeout,
            ["zookeeper:connect_timeout"] = connectTimeout,
        }).Build();

    private static ZooKeeperContainer NewContainer(IConfiguration configuration, LogCapture logs)
    {
        var target = ZooKeeperTargetResolver.Resolve(null, configuration, environment: ResolutionTests.NoEnvironment);
        var options = new ZooKeeperContainerOptions { ConfigureClient = o => o.ShuffleServers = false };
        return new ZooKeeperContainer("black-hole", target, options, LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
    }

    /// <summary>The client logged the black hole's attempt as timed out, with the server as a structured field.</summary>
    private static void AssertLoggedTimeout(LogCapture logs, BlackHoleServer hole, string timeout)
        => Assert.Contains(logs.Lines, l => l.Contains($"Server={hole.Address}", StringComparison.Ordinal)
            && l.Contains($"no answer to the session handshake within the connect timeout ({timeout})", StringComparison.Ordinal));

    /// <summary>A loopback TCP listener that accepts every connection and never sends or reads a byte.</summary>
    private sealed class BlackHoleServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentQueue<Socket> _accepted = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _acceptLoop;

        public BlackHoleServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = AcceptAsync();
        }

        public int Port { get; }

        public string Address => $"127.0.0.1:{Port}";

        public int Accepted => _accepted.Count;

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    _accepted.Enqueue(await _listener.AcceptSocketAsync(_stop.Token));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _acceptLoop;
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }

            _stop.Dispose();
        }
    }

    /// <summary>A wrong port (nothing listens): startup fails within seconds, naming the servers and the cause, not after StartupTimeout.</summary>
    [Fact]
    public async Task A_container_whose_servers_refuse_the_connection_fails_startup_at_once_with_a_clear_message()
    {
        var port = FreePort.Next();
        var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        await using var container = new ZooKeeperContainer("wrong-port", ZooKeeperTargetResolver.Resolve($"zookeeper://127.0.0.1:{port}/app", null), new ZooKeeperContainerOptions(), loggerFactory);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ZooKeeperStartupException>(() => container.StartAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:0.0} s (StartupTimeout is 30 s)");
        // An expected condition: the host's log of the failed start shows the message, not stack traces.
        Assert.Equal($"{typeof(ZooKeeperStartupException).FullName}: {ex.Message}", ex.ToString());
        Assert.DoesNotContain("   at ", ex.ToString(), StringComparison.Ordinal);
        Assert.IsType<ConnectionLossException>(ex.InnerException);
        Assert.Contains("'wrong-port'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("refused the connection", ex.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains($"Could not connect to ZooKeeper 127.0.0.1:{port}", StringComparison.Ordinal));
    }
}
