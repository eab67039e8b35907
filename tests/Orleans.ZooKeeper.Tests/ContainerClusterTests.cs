using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Tests;

/// <summary>Two containers in one silo: "alpha" through a proxy the test can cut, "beta" straight to the server.</summary>
public sealed class ContainerClusterFixture : IAsyncLifetime
{
    public const string StreamProvider = "zkstate";
    public const string Alpha = "alpha";
    public const string Beta = "beta";

    public ZooKeeperServer Server { get; private set; } = null!;

    public TcpProxy Proxy { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public ClientStateRecorder ClientAlpha { get; } = new();

    public ClientStateRecorder ClientBeta { get; } = new();

    public string AlphaPath { get; } = "/containers-" + Guid.NewGuid().ToString("N")[..8] + "/alpha";

    public async Task InitializeAsync()
    {
        // tickTime 200: alpha's session of 3 s can expire within a test; beta's 10 s one (maxSessionTimeout raised) must
        // survive a server kill and restart even on a loaded machine (the server starts the sessions' clocks when it loads them).
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200, MaxSessionTimeout = 20_000 });
        Proxy = new TcpProxy(Server.Port);
        // Alpha cannot connect until the test lets it: that lets the external client subscribe before CONNECTED.
        Proxy.Block();
        var builder = new TestClusterBuilder(1);
        builder.Properties["zk:alpha"] = $"zookeeper://{Proxy.ConnectString}{AlphaPath}";
        builder.Properties["zookeeper:servers"] = Server.ConnectString;
        builder.Properties["zookeeper:path"] = "/containers-beta";
        builder.Properties["zookeeper:session_timeout"] = "10";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        var provider = Cluster.Client.GetStreamProvider(StreamProvider);
        await provider.GetStream<ZooKeeperContainerStateChanged>(ZooKeeperContainerStates.StreamIdFor(Alpha)).SubscribeAsync(ClientAlpha);
        await provider.GetStream<ZooKeeperContainerStateChanged>(ZooKeeperContainerStates.StreamIdFor(Beta)).SubscribeAsync(ClientBeta);
    }

    public ZooKeeperContainer Container(string name)
        => ((InProcessSiloHandle)Cluster.Primary!).SiloHost.Services.GetRequiredService<ZooKeeperContainers>().Get(name);

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Proxy.DisposeAsync();
        await Server.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddMemoryGrainStorage("PubSubStore");
            siloBuilder.AddMemoryStreams(StreamProvider);
            var alphaUrl = siloBuilder.Configuration["zk:alpha"];
            siloBuilder.AddZooKeeperContainer(Alpha, alphaUrl, StreamProvider, o =>
            {
                o.WaitForConnectionOnStartup = false;
                o.ConfigureClient = c => c.SessionTimeout = TimeSpan.FromSeconds(3);
            });
            siloBuilder.AddZooKeeperContainer(Beta, null, StreamProvider);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.AddMemoryStreams(StreamProvider);
    }
}

public sealed class ContainerClusterTests(ContainerClusterFixture fixture) : IClassFixture<ContainerClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<List<ZooKeeperContainerStateChanged>> GrainStates(string container)
        => await fixture.Cluster.Client.GetGrain<IStateRecorderGrain>(container).GetStates();

    private static Task UntilAsync(Func<Task<bool>> condition, string what) => TestWait.UntilAsync(condition, Timeout, what);

    [Fact]
    public async Task Grain_and_cluster_client_see_connected_suspended_connected_lost_connected_and_containers_are_independent()
    {
        var alpha = fixture.Container(ContainerClusterFixture.Alpha);
        var beta = fixture.Container(ContainerClusterFixture.Beta);
        Assert.Equal(ZooKeeperContainerState.Connected, beta.State);
        Assert.Equal("/containers-beta", beta.BasePath);
        Assert.Equal(fixture.AlphaPath, alpha.BasePath);

        // 1. CONNECTED at start (alpha was held back until now).
        Assert.Equal(ZooKeeperContainerState.Lost, alpha.State);
        fixture.Proxy.Unblock();
        await UntilAsync(async () => (await GrainStates("alpha")).Any(s => s.State == ZooKeeperContainerState.Connected), "grain got alpha CONNECTED");
        await UntilAsync(() => Task.FromResult(fixture.ClientAlpha.States.Any(s => s.State == ZooKeeperContainerState.Connected)), "client got alpha CONNECTED");
        var connected = fixture.ClientAlpha.States.First();
        Assert.Equal(ZooKeeperContainerStates.Connected, connected.Name);
        Assert.Equal("alpha", connected.ContainerName);
        Assert.Equal(fixture.Cluster.Primary!.SiloAddress, connected.Silo);
        Assert.Equal(alpha.Client.SessionId, connected.SessionId);
        Assert.Equal(fixture.Proxy.ConnectString, connected.Server);
        // The base path was ensured on CONNECTED.
        await UntilAsync(async () => await beta.Client.ExistsAsync(fixture.AlphaPath) is not null, "alpha base path exists");
        var betaGrain = await GrainStates("beta");
        Assert.Equal([ZooKeeperContainerState.Connected], betaGrain.Select(s => s.State));

        // 2. Advertise, then SUSPENDED while cut off, CONNECTED when back within the session timeout.
        var advertisement = await alpha.AdvertiseAsync("silo-1"u8.ToArray(), "members/m-");
        var firstAdvert = advertisement.CurrentPath!;
        Assert.StartsWith(fixture.AlphaPath + "/members/m-", firstAdvert);
        var session = alpha.Client.SessionId;
        fixture.Proxy.Block();
        await UntilAsync(async () => (await GrainStates("alpha")).Any(s => s.State == ZooKeeperContainerState.Suspended), "grain got SUSPENDED");
        fixture.Proxy.Unblock();
        await UntilAsync(async () => (await GrainStates("alpha")).Count(s => s.State == ZooKeeperContainerState.Connected) == 2, "grain got CONNECTED again");
        Assert.Equal(session, alpha.Client.SessionId);
        Assert.Equal(ZooKeeperContainerState.Connected, beta.State);

        // 3. Expiry: LOST then CONNECTED with a new session; the advertisement re-appears.
        fixture.Proxy.Block();
        await UntilAsync(async () => await beta.Client.ExistsAsync(firstAdvert) is null, "server expired alpha's session");
        fixture.Proxy.Unblock();
        await UntilAsync(async () => (await GrainStates("alpha")).Select(s => s.State).SequenceEqual(
            [ZooKeeperContainerState.Connected, ZooKeeperContainerState.Suspended, ZooKeeperContainerState.Connected, ZooKeeperContainerState.Suspended, ZooKeeperContainerState.Lost, ZooKeeperContainerState.Connected]),
            "grain saw the whole sequence");
        await UntilAsync(() => Task.FromResult(fixture.ClientAlpha.States.Count >= 6), "client saw the whole sequence");
        Assert.Equal((await GrainStates("alpha")).Select(s => s.State), fixture.ClientAlpha.States.Select(s => s.State));
        Assert.NotEqual(session, alpha.Client.SessionId);
        await UntilAsync(async () => advertisement.CurrentPath != firstAdvert && await beta.Client.ExistsAsync(advertisement.CurrentPath!) is { } s && s.EphemeralOwner == alpha.Client.SessionId, "advertisement re-created");
        var data = await beta.Client.GetDataAsync(advertisement.CurrentPath!);
        Assert.Equal("silo-1"u8.ToArray(), data.Data);

        // Beta never changed state.
        Assert.Equal([ZooKeeperContainerState.Connected], (await GrainStates("beta")).Select(s => s.State));
        // (The client subscribed after beta's CONNECTED at silo start, and beta has been quiet since.)
        Assert.Empty(fixture.ClientBeta.States);

        // 4. The ZooKeeper server itself stops: SUSPENDED everywhere; it comes back within the session timeout:
        //    CONNECTED with the same sessions.
        var betaSession = beta.Client.SessionId;
        // kill -9: a graceful stop can itself expire sessions while it closes connections and shuts down slowly.
        await fixture.Server.KillAsync();
        await UntilAsync(async () => (await GrainStates("beta")).LastOrDefault()?.State == ZooKeeperContainerState.Suspended, "grain got beta SUSPENDED");
        await UntilAsync(() => Task.FromResult(fixture.ClientBeta.States.LastOrDefault()?.State == ZooKeeperContainerState.Suspended), "client got beta SUSPENDED");
        await fixture.Server.StartAsync();
        await UntilAsync(async () => (await GrainStates("beta")).LastOrDefault()?.State == ZooKeeperContainerState.Connected, "grain got beta CONNECTED");
        await UntilAsync(() => Task.FromResult(fixture.ClientBeta.States.LastOrDefault()?.State == ZooKeeperContainerState.Connected), "client got beta CONNECTED");
        await UntilAsync(() => Task.FromResult(alpha.State == ZooKeeperContainerState.Connected), "alpha CONNECTED");
        // The server restores sessions from its data and gives each a full timeout from its start, so beta's 10 s
        // session outlives the restart; if not, the server's log says when it expired it and why.
        Assert.True(
            betaSession == beta.Client.SessionId,
            $"beta's session 0x{betaSession:x} was replaced by 0x{beta.Client.SessionId:x} across the server restart; server log:\n{fixture.Server.ReadLogTail(120)}");
        // (Alpha's 3 s session may not outlive a slow server restart; beta's 10 s one must.)
        Assert.Equal([ZooKeeperContainerState.Suspended, ZooKeeperContainerState.Connected], fixture.ClientBeta.States.Select(s => s.State));
    }
}
