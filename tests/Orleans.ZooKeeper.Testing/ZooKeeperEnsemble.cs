using System.Globalization;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A ZooKeeper ensemble (default 3 voting nodes, <c>QuorumPeerMain</c>) on 127.0.0.1, each node with its own
/// client, peer and election port and its own directory under one temp directory in
/// <c>{temp}/orleans-zk-tests/</c>. Dispose kills every node and deletes the directory.
/// </summary>
/// <remarks>Node indexes are 0-based; a node's ZooKeeper server id (<c>myid</c>) is index + 1.</remarks>
public sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    private readonly ZooKeeperEnsembleNode[] nodes;
    private readonly string? secureConnectString;
    private int disposed;

    /// <summary>Prepares the nodes (ports, directories, <c>zoo.cfg</c>, <c>myid</c>); <see cref="StartAsync"/> starts them.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="installation">Java and ZooKeeper to use; null for <see cref="ZooKeeperInstallation.Default"/>.</param>
    /// <exception cref="InvalidOperationException">ZooKeeper or Java is not installed (run <c>scripts/install-zookeeper.sh</c>).</exception>
    public ZooKeeperEnsemble(ZooKeeperEnsembleOptions? options = null, ZooKeeperInstallation? installation = null)
    {
        Options = ZooKeeperEnsembleNode.ValidateEnsembleOptions(options ?? new ZooKeeperEnsembleOptions());
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.NodeCount, 1, nameof(options));
        installation ??= ZooKeeperInstallation.Default;
        RootDir = TestDirectories.CreateInstanceDirectory();

        int n = Options.NodeCount;
        var clientPorts = FreePort.Next(n);
        var peerPorts = FreePort.Next(n);
        var electionPorts = FreePort.Next(n);
        int[]? securePorts = Options.Tls is null ? null : FreePort.Next(n);
        var serverLines = Enumerable.Range(0, n)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"server.{i + 1}=127.0.0.1:{peerPorts[i]}:{electionPorts[i]}"))
            .ToArray();

        nodes = new ZooKeeperEnsembleNode[n];
        for (int i = 0; i < n; i++)
        {
            nodes[i] = new ZooKeeperEnsembleNode(
                this,
                installation,
                Options,
                Path.Combine(RootDir, "node" + (i + 1).ToString(CultureInfo.InvariantCulture)),
                i,
                clientPorts[i],
                peerPorts[i],
                electionPorts[i],
                securePorts?[i],
                serverLines);
        }

        ConnectString = string.Join(',', nodes.Select(node => node.ConnectString));
        secureConnectString = securePorts is null ? null : string.Join(',', nodes.Select(node => node.SecureConnectString));
    }

    /// <summary>The settings this ensemble was created with.</summary>
    public ZooKeeperEnsembleOptions Options { get; }

    /// <summary>The nodes, by 0-based index.</summary>
    public IReadOnlyList<ZooKeeperEnsembleNode> Nodes => nodes;

    /// <summary><c>127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3</c> (every node's client port).</summary>
    public string ConnectString { get; }

    /// <summary><c>127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3</c> (every node's TLS client port, <see cref="ZooKeeperServerProcess.SecurePort"/>).</summary>
    /// <exception cref="InvalidOperationException">The ensemble has no TLS (<see cref="ZooKeeperServerOptions.Tls"/> was null).</exception>
    public string SecureConnectString =>
        secureConnectString ?? throw new InvalidOperationException("The ensemble was configured without TLS (ZooKeeperEnsembleOptions.Tls is null).");

    /// <summary>The temp directory holding every node's directory.</summary>
    public string RootDir { get; }

    /// <summary>Creates and starts an ensemble; disposes it if it fails to start.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ZooKeeperEnsemble> StartNewAsync(ZooKeeperEnsembleOptions? options = null, CancellationToken cancellationToken = default)
    {
        var ensemble = new ZooKeeperEnsemble(options);
        try
        {
            await ensemble.StartAsync(cancellationToken).ConfigureAwait(false);
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts every node that is not running and waits (up to <see cref="ZooKeeperServerOptions.StartTimeout"/>)
    /// until all of them serve as leader or follower.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (ZooKeeperEnsembleNode node in nodes)
        {
            await node.StartAsync(waitUntilServing: false, cancellationToken).ConfigureAwait(false);
        }

        await Task.WhenAll(nodes.Select(node => node.WaitUntilServingAsync(null, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>The index of a node that reports <c>Mode: leader</c>, or -1 when none does.</summary>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public async Task<int> GetLeaderIndexAsync(CancellationToken cancellationToken = default)
    {
        ZooKeeperMode[] modes = await GetModesAsync(cancellationToken).ConfigureAwait(false);
        return Array.IndexOf(modes, ZooKeeperMode.Leader);
    }

    /// <summary>Every node's current mode (<see cref="ZooKeeperMode.NotServing"/> for stopped or electing nodes), by index.</summary>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public Task<ZooKeeperMode[]> GetModesAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(nodes.Select(node => node.GetModeAsync(cancellationToken)));

    /// <summary>
    /// Waits until the ensemble has quorum: a running node serves as leader (a leader serves only with a
    /// quorum of followers synced).
    /// </summary>
    /// <param name="timeout">Deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The leader's index.</returns>
    /// <exception cref="TimeoutException">No quorum before the deadline (message lists each node's mode).</exception>
    public async Task<int> WaitForQuorumAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            ZooKeeperMode[] modes = await GetModesAsync(cancellationToken).ConfigureAwait(false);
            int leader = Array.IndexOf(modes, ZooKeeperMode.Leader);
            if (leader >= 0)
            {
                return leader;
            }

            if (clock.Elapsed >= timeout)
            {
                string state = string.Join(", ", nodes.Select((node, i) => $"node {i}: {modes[i]} ({(node.IsRunning ? "running" : "not running")})"));
                throw new TimeoutException($"The ensemble had no leader within {timeout.TotalSeconds:0.#} s: {state}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILLs node <paramref name="index"/> and waits until it has exited.</summary>
    /// <param name="index">0-based node index.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task KillNodeAsync(int index, CancellationToken cancellationToken = default) => nodes[index].KillAsync(cancellationToken);

    /// <summary>Stops node <paramref name="index"/> gracefully (SIGTERM, then SIGKILL after 10 s).</summary>
    /// <param name="index">0-based node index.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task StopNodeAsync(int index, CancellationToken cancellationToken = default) => nodes[index].StopAsync(cancellationToken);

    /// <summary>
    /// (Re)starts node <paramref name="index"/> (stopping it first if it runs) on the same ports and data and
    /// waits until it serves as leader or follower (which needs a quorum of running nodes).
    /// </summary>
    /// <param name="index">0-based node index.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task RestartNodeAsync(int index, CancellationToken cancellationToken = default) => nodes[index].RestartAsync(cancellationToken);

    /// <summary>
    /// The node a client session is connected to, from each running node's <c>cons</c> four-letter word;
    /// null if no node lists it (not connected right now, or paused/unreachable nodes).
    /// </summary>
    /// <remarks>Only sessions on the nodes' plain ports: for TLS sessions use the overload with TLS options.</remarks>
    /// <param name="sessionId">The session id the client got in its ConnectResponse.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public Task<ZooKeeperEnsembleNode?> FindNodeServingSessionAsync(long sessionId, CancellationToken cancellationToken = default) =>
        FindNodeServingSessionAsync(sessionId, null, cancellationToken);

    /// <summary>
    /// The node a client session is connected to (plain or, with <paramref name="secureTlsOptions"/>, TLS port), from
    /// each running node's <c>cons</c> four-letter word on each port; null if no node lists it.
    /// </summary>
    /// <param name="sessionId">The session id the client got in its ConnectResponse.</param>
    /// <param name="secureTlsOptions">How to connect to the nodes' TLS ports; null for the plain ports only.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public async Task<ZooKeeperEnsembleNode?> FindNodeServingSessionAsync(
        long sessionId,
        System.Net.Security.SslClientAuthenticationOptions? secureTlsOptions,
        CancellationToken cancellationToken = default)
    {
        foreach (ZooKeeperEnsembleNode node in nodes)
        {
            if (!node.IsRunning || node.IsPaused)
            {
                continue;
            }

            IReadOnlyList<long> sessions;
            try
            {
                sessions = await node.GetConnectedSessionIdsAsync(secureTlsOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException or IOException or System.Security.Authentication.AuthenticationException)
            {
                continue;
            }

            if (sessions.Contains(sessionId))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Kills every node and deletes the ensemble's directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(nodes.Select(node => node.DisposeProcessAsync())).ConfigureAwait(false);
        await TestDirectories.DeleteInstanceDirectoryAsync(RootDir).ConfigureAwait(false);
    }
}

/// <summary>One voting node of a <see cref="ZooKeeperEnsemble"/>.</summary>
public sealed class ZooKeeperEnsembleNode : ZooKeeperServerProcess
{
    private const string MainClassName = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
    private readonly ZooKeeperEnsembleOptions options;
    private readonly string[] serverLines;

    internal ZooKeeperEnsembleNode(
        ZooKeeperEnsemble ensemble,
        ZooKeeperInstallation installation,
        ZooKeeperEnsembleOptions options,
        string dataDir,
        int index,
        int clientPort,
        int peerPort,
        int electionPort,
        int? securePort,
        string[] serverLines)
        : base(installation, options, dataDir, clientPort, securePort, MainClassName)
    {
        Ensemble = ensemble;
        this.options = options;
        this.serverLines = serverLines;
        Index = index;
        PeerPort = peerPort;
        ElectionPort = electionPort;
        File.WriteAllText(Path.Combine(ZooKeeperDataDir, "myid"), ServerId.ToString(CultureInfo.InvariantCulture) + "\n");
        WriteConfig();
    }

    /// <summary>The ensemble this node belongs to.</summary>
    public ZooKeeperEnsemble Ensemble { get; }

    /// <summary>0-based index in <see cref="ZooKeeperEnsemble.Nodes"/>.</summary>
    public int Index { get; }

    /// <summary>The ZooKeeper server id (<c>myid</c>, <c>server.N</c>): <see cref="Index"/> + 1.</summary>
    public int ServerId => Index + 1;

    /// <summary>Quorum (follower-to-leader) port on 127.0.0.1.</summary>
    public int PeerPort { get; }

    /// <summary>Leader-election port on 127.0.0.1.</summary>
    public int ElectionPort { get; }

    /// <inheritdoc/>
    protected override string DisplayName => $"ZooKeeper ensemble node {Index} (server.{ServerId})";

    internal static ZooKeeperEnsembleOptions ValidateEnsembleOptions(ZooKeeperEnsembleOptions options) => ValidateOptions(options);

    internal Task DisposeProcessAsync() => KillAndReleaseAsync();

    private protected override IEnumerable<string> GetSpecificConfigLines()
    {
        yield return $"initLimit={options.InitLimit}";
        yield return $"syncLimit={options.SyncLimit}";
        if (options.ReadOnlyMode)
        {
            yield return "localSessionsEnabled=true";
            yield return "localSessionsUpgradingEnabled=true";
        }

        foreach (string line in serverLines)
        {
            yield return line;
        }
    }

    private protected override IEnumerable<string> GetSpecificJvmArgs() =>
        options.ReadOnlyMode ? ["-Dreadonlymode.enabled=true"] : [];
}
