using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;
using Orleans.ZooKeeper.Election;

namespace Orleans.ZooKeeper;

/// <summary>
/// Leader election among the participants of one scope on one container, with asab's <c>LeaderService</c> names:
/// <see cref="IsLeader"/>, <see cref="StepDown"/>, <see cref="SetUp"/>. Participants queue as ephemeral-sequential
/// nodes under <c>{container path}/election/{scope}</c>; the first one leads.
/// </summary>
/// <remarks>
/// <para><b>Never two leaders.</b> <see cref="IsLeader"/> is computed on the spot from facts that cannot lag: this
/// participant's node was first in the queue when last looked at, the client still runs the session that owns it, the
/// session lease (<see cref="ZooKeeperClient.GetSessionLease"/>) has not run out — so the server cannot have expired
/// the session and let the next participant in — and, by default, the client is CONNECTED. The first false ends the
/// leadership term for good (a FOLLOWER! follows); a new term starts only after a fresh look at the queue.</para>
/// <para><b>Fencing token.</b> <see cref="FencingToken"/> is the leader's node's czxid: a later leader always has a
/// larger one, so a resource that refuses tokens smaller than the largest it has seen also refuses a deposed leader's
/// late writes. A leader whose session survives a disconnection leads again with the same token (its node stayed first
/// all along).</para>
/// <para><b>Announcements</b> go out in order, in process (<see cref="StateChanged"/>, <see cref="StateChangesAsync"/>)
/// and, with <see cref="ZooKeeperLeaderElectionOptions.StreamProviderName"/>, on the Orleans stream
/// <see cref="ZooKeeperLeaderStates.StreamIdFor"/> as <see cref="ZooKeeperLeaderStateChanged"/> named
/// <c>LeaderService.state/LEADER!</c> or <c>LeaderService.state/FOLLOWER!</c>. The first FOLLOWER! tells that this
/// participant joined and someone else leads.</para>
/// </remarks>
public sealed partial class ZooKeeperLeaderElection : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly ZooKeeperContainer _container;
    private readonly ZooKeeperClient _client;
    private readonly ZooKeeperLeaderElectionOptions _options;
    private readonly IServiceProvider? _services;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly WakeSignal _wake = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Contender _contender;
    private readonly Announcer<ZooKeeperLeaderStateChanged> _announcer;

    private readonly CancellationTokenSource _stopping = new();
    private readonly EventHandler<ConnectionStateChange> _onClientState;

    // Under _lock: participation (_participating, _generation, _stopped) and the term (_term). A round may start a term
    // only under _lock, only while participating and only in the generation it began in; StepDown/StopAsync end the
    // term and bump the generation under the same lock, so no term started by a round that was under way survives them.
    private volatile SessionClaim? _term;
    private volatile bool _participating;
    private int _generation;
    private volatile ZooKeeperLeaderInfo? _leader;
    private bool? _announcedLeader;
    private Task? _rounds;
    private SiloAddress? _silo;
    private int _stopped;

    internal ZooKeeperLeaderElection(ZooKeeperContainer container, string scope, ZooKeeperLeaderElectionOptions options, ILoggerFactory? loggerFactory, IServiceProvider? services)
    {
        ArgumentNullException.ThrowIfNull(container);
        Scope = ZooKeeperContainerLockExtensions.CheckName(scope, "election scope");
        _container = container;
        _client = container.Client;
        _options = options;
        _services = services;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger($"{typeof(ZooKeeperLeaderElection).FullName}.{container.Name}.{scope}");
        Path = container.ResolvePath(ElectionFolder + "/" + scope);
        _silo = services?.GetService<ILocalSiloDetails>()?.SiloAddress;
        ParticipantId = options.ParticipantId ?? _silo?.ToString() ?? $"{Environment.MachineName}/{Environment.ProcessId}";
        var data = options.ParticipantData ?? Encoding.UTF8.GetBytes($"participant: {ParticipantId}\nhost: {Environment.MachineName}\npid: {Environment.ProcessId}\n");
        _contender = new Contender(_client, Path, 1, data, container.NodeAcl, options.RetryPolicy, _wake.Set);
        _onClientState = (_, change) => OnClientStateChanged(change);

        // Announced under _lock from several threads: handlers run on the announcer's loop, never under the lock.
        _announcer = new(this, ex => ElectionLog.HandlerFailed(_logger, ex, Path), inlineHandlers: false);
    }

    /// <summary>The folder (relative to the container path) that holds the elections, as in asab: <c>{BasePath}/election/{scope}</c>.</summary>
    public const string ElectionFolder = "election";

    /// <summary>The DI key of an election registered with <c>AddZooKeeperLeaderElection</c>: <c>{container}/{scope}</c>.</summary>
    public static string ServiceKey(string containerName, string scope) => containerName + "/" + scope;

    /// <summary>The election's scope (one znode name).</summary>
    public string Scope { get; }

    /// <summary>The container the election runs on.</summary>
    public string ContainerName => _container.Name;

    /// <summary>The election's znode: <c>{container path}/election/{scope}</c>.</summary>
    public string Path { get; }

    /// <summary>This participant's name in announcements.</summary>
    public string ParticipantId { get; }

    /// <summary>True while this participant provably leads (see the remarks). Cheap; check it before every leader-only action.</summary>
    public bool IsLeader => _term is { } term && term.IsValid;

    /// <summary>The current term's fencing token, or 0 when not leading. Read it once and send it with the leader's writes.</summary>
    public long FencingToken => _term is { } term && term.IsValid ? term.Token : 0;

    /// <summary>Test-only: called on the round loop at named points ("looked": the queue was read and this participant is first, just before a term may start).</summary>
    internal Func<string, Task>? TestPoint { get; set; }

    /// <summary>Whether this participant takes part (false after <see cref="StepDown"/>, until <see cref="SetUp"/>).</summary>
    public bool IsParticipating => _participating;

    /// <summary>The leader as last seen (null when unknown or nobody leads).</summary>
    public ZooKeeperLeaderInfo? Leader => _leader;

    /// <summary>Raised for every LEADER! and FOLLOWER!, in order, on a background task.</summary>
    public event EventHandler<ZooKeeperLeaderStateChanged>? StateChanged
    {
        add => _announcer.AddHandler(value);
        remove => _announcer.RemoveHandler(value);
    }

    /// <summary>Every announcement from the moment of this call on; ends when the election stops.</summary>
    public IAsyncEnumerable<ZooKeeperLeaderStateChanged> StateChangesAsync(CancellationToken cancellationToken = default)
        => _announcer.Subscribe(cancellationToken);

    /// <summary>Starts the election (joining it unless <see cref="ZooKeeperLeaderElectionOptions.JoinOnStart"/> is off) and, in a silo, publishing on the stream.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        if (_options.StreamProviderName is { } providerName && _services is not null)
        {
            var provider = _services.GetKeyedService<IStreamProvider>(providerName)
                ?? throw Announcer<ZooKeeperLeaderStateChanged>.NoSuchStreamProvider($"ZooKeeper election '{Scope}' on container '{ContainerName}'", providerName, "ZooKeeperLeaderElectionOptions.StreamProviderName");
            _ = _announcer.AttachStreamAsync(
                provider.GetStream<ZooKeeperLeaderStateChanged>(ZooKeeperLeaderStates.StreamIdFor(ContainerName, Scope)),
                (ex, e) => ElectionLog.PublishFailed(_logger, ex, Path, e.Name, providerName));
        }

        lock (_lock)
        {
            if (_rounds is not null || Volatile.Read(ref _stopped) != 0)
            {
                return Task.CompletedTask;
            }

            _participating = _options.JoinOnStart;
            _client.StateChanged += _onClientState;
            _rounds = Task.Run(RunRoundsAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Leaves the election: stops leading at once (<see cref="IsLeader"/> is false and <see cref="FencingToken"/> 0 from
    /// the moment this is called, whatever the election's loop is doing, until a later <see cref="SetUp"/> wins a fresh
    /// round), deletes this participant's node so the next one takes over without waiting for a session to expire, and
    /// stays out until <see cref="SetUp"/>. Completes when the node is deleted (at once when connected, else when the
    /// connection is back or the session has ended). Safe to call when not leading or already out.
    /// </summary>
    public async Task StepDown(CancellationToken cancellationToken = default)
    {
        Leave("stepped down");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LeaveQueueAsync(cancellationToken).ConfigureAwait(false);
            Announce(false, 0, "stepped down");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Joins (again) after <see cref="StepDown"/>: the participant queues up and leads when it is first. Returns at once; LEADER!/FOLLOWER! tell the outcome.</summary>
    /// <exception cref="ObjectDisposedException">The election was stopped.</exception>
    public Task SetUp(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
            _participating = true;
        }

        _wake.Set();
        return Task.CompletedTask;
    }

    /// <summary>Steps down and stops the election; announcements end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                return;
            }

            Leave("the election stopped");
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _client.StateChanged -= _onClientState;
        if (_rounds is { } rounds)
        {
            await rounds.ConfigureAwait(false);
        }

        // Connected: the next participant takes over at once. Otherwise the node goes when the connection is back
        // (or with the session); stopping does not wait for that.
        var leaving = LeaveQueueAsync(CancellationToken.None);
        if (_client.State == ConnectionState.Connected)
        {
            await leaving.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await _announcer.CompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // After the container connected (RuntimeInitialize); leave first thing on shutdown so the next silo takes over at once.
        lifecycle.Subscribe($"{nameof(ZooKeeperLeaderElection)}.{ContainerName}.{Scope}", ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    /// <summary>Stops the election (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Stops taking part, at once: ends the term and invalidates every round under way (see the fields).</summary>
    private void Leave(string reason)
    {
        lock (_lock)
        {
            _participating = false;
            _generation++;
            _term?.End(reason);
        }
    }

    private void OnClientStateChanged(ConnectionStateChange change)
    {
        _term?.OnStateChanged(change);
        _wake.Set();
    }

    /// <summary>Queues an announcement; FOLLOWER! (always token 0: a follower holds none) only when it changes something (or is the first word).</summary>
    private void Announce(bool isLeader, long token, string reason)
    {
        token = isLeader ? token : 0;
        lock (_lock)
        {
            if (!isLeader && _announcedLeader == false)
            {
                return;
            }

            _announcedLeader = isLeader;
            var change = new ZooKeeperLeaderStateChanged(ContainerName, Scope, isLeader, token, ParticipantId, _silo, reason, DateTimeOffset.UtcNow);
            _announcer.Publish(change);
        }

        if (isLeader)
        {
            ElectionLog.Leader(_logger, Path, ParticipantId, token);
        }
        else
        {
            ElectionLog.Follower(_logger, Path, ParticipantId, reason);
        }
    }
}
