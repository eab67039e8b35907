using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper.Tests.Cluster;

/// <summary>
/// A real 3-node ensemble with a loopback proxy in front of each node (the silos and the client connect through the
/// proxies, so the tests can cut them off from ZooKeeper while the ensemble itself keeps running), silo processes,
/// an external client, and a table reader that talks to the ensemble directly. Shared by the cluster tests; each test
/// first tops the cluster up to the silos it needs.
/// </summary>
public sealed partial class ClusterFixture : IAsyncLifetime
{
    public const string ClusterId = "cluster-tests";

    /// <summary>The silos' (and the client's) requested session timeout, seconds.</summary>
    public const int SessionTimeoutSeconds = 4;

    private readonly List<SiloProcess> _silos = [];
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IHost? _client;

    public ZooKeeperEnsemble Ensemble { get; private set; } = null!;

    public IReadOnlyList<TcpProxy> Proxies { get; private set; } = [];

    /// <summary>The URL the silos and the client use (through the proxies).</summary>
    public string ProxiedUrl => $"zookeeper://{string.Join(',', Proxies.Select(p => p.ConnectString))}/cluster-tests";

    /// <summary>A table on the ensemble directly (not through the proxies), to watch what the silos write.</summary>
    public TableHandle Reader { get; private set; } = null!;

    public IReadOnlyList<SiloProcess> AllSilos => _silos;

    public IEnumerable<SiloProcess> LiveSilos => _silos.Where(s => !s.HasExited);

    public async Task InitializeAsync()
    {
        Ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { TickTime = 500 });
        Proxies = Ensemble.Nodes.Select(n => new TcpProxy(n.Port)).ToList();
        Reader = await TableHandle.StartAsync($"zookeeper://{Ensemble.ConnectString}/cluster-tests", ClusterId, null, init: true);
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
            _client.Dispose();
        }

        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
        await Reader.DisposeAsync();
        foreach (var proxy in Proxies)
        {
            await proxy.DisposeAsync();
        }

        await Ensemble.DisposeAsync();
    }

    /// <summary>Starts silos until <paramref name="count"/> run, and waits until the table shows every running silo Active.</summary>
    public async Task<IReadOnlyList<SiloProcess>> EnsureSilosAsync(int count)
    {
        await _lock.WaitAsync();
        try
        {
            var missing = count - LiveSilos.Count();
            if (missing > 0)
            {
                var started = await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => StartSiloAsync()));
                _silos.AddRange(started);
            }

            var live = LiveSilos.ToList();
            await TestWait.UntilAsync(
                async () =>
                {
                    var table = await Reader.Membership.ReadAllAsync(default);
                    return live.All(s => table.TryGet(s.Address)?.Item1.Status == SiloStatus.Active);
                },
                TimeSpan.FromSeconds(60),
                $"{string.Join(", ", live)} Active in the table");
            return live;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>One more silo (not counted by <see cref="EnsureSilosAsync"/> until it is ready).</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = await StartSiloAsync();
        await _lock.WaitAsync();
        _silos.Add(silo);
        _lock.Release();
        return silo;
    }

    private Task<SiloProcess> StartSiloAsync() => SiloProcess.StartAsync(
        [
            $"--zk-url={ProxiedUrl}",
            $"--zookeeper:session_timeout={SessionTimeoutSeconds}",
            "--Orleans:Clustering:ProviderType=ZooKeeper",
            "--Orleans:Clustering:ContainerName=zk",
            $"--Orleans:ClusterId={ClusterId}",
        ],
        TimeSpan.FromSeconds(90));

    /// <summary>The external client (ZooKeeper clustering through the proxies; gateway list refreshed every second).</summary>
    public async Task<IClusterClient> ClientAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (_client is null)
            {
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["zookeeper:session_timeout"] = SessionTimeoutSeconds.ToString(CultureInfo.InvariantCulture) });
                builder.UseOrleansClient(client => client
                    .UseZooKeeperClustering(o => o.Url = ProxiedUrl)
                    .Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = ClusterId;
                        o.ServiceId = "zk-cluster-tests";
                    })
                    .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1))
                    .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5)));
                var host = builder.Build();
                await host.StartAsync();
                _client = host;
            }

            return _client.Services.GetRequiredService<IClusterClient>();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The table as the ensemble has it now.</summary>
    public Task<MembershipTableData> TableAsync() => Reader.Membership.ReadAllAsync(default);

    /// <summary>Every session id any running node knows (from the <c>dump</c> four-letter word).</summary>
    public async Task<HashSet<long>> EnsembleSessionsAsync()
    {
        var sessions = new HashSet<long>();
        foreach (var node in Ensemble.Nodes.Where(n => n.IsRunning))
        {
            string dump;
            try
            {
                dump = await node.FourLetterWordAsync("dump");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                continue;
            }

            foreach (Match m in SessionId().Matches(dump))
            {
                sessions.Add(long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return sessions;
    }

    [GeneratedRegex("0x([0-9a-f]+)")]
    private static partial Regex SessionId();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "zookeeper cluster";
}
