using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Start and stop through the silo lifecycle, and who owns the container.</summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleTests(ServerFixture fixture)
{
    /// <summary>Records subscriptions; the test plays the stages.</summary>
    private sealed class FakeLifecycle : ISiloLifecycle
    {
        public List<(string Name, int Stage, ILifecycleObserver Observer)> Observers { get; } = [];

        public int HighestCompletedStage => 0;

        public int LowestStoppedStage => 0;

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            Observers.Add((observerName, stage, observer));
            return new NoopDisposable();
        }

        public async Task StartAsync()
        {
            foreach (var (_, _, observer) in Observers.OrderBy(o => o.Stage))
            {
                await observer.OnStart(CancellationToken.None);
            }
        }

        public async Task StopAsync()
        {
            foreach (var (_, _, observer) in Observers.OrderByDescending(o => o.Stage))
            {
                await observer.OnStop(CancellationToken.None);
            }
        }

        private sealed class NoopDisposable : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }

    private sealed class FakeSiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }

    private static ServiceCollection BaseServices(string serviceId)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => o.ServiceId = serviceId);
        return services;
    }

    [Fact]
    public async Task An_own_container_starts_at_ApplicationServices_and_closes_with_the_provider_a_named_one_is_left_open()
    {
        var url = fixture.NewUrl("life");
        var services = BaseServices("life");
        var silo = new FakeSiloBuilder(services);
        silo.AddZooKeeperGrainStorageAsDefault(o => o.Url = url);
        silo.AddZooKeeperContainer("outer", url);
        silo.AddZooKeeperGrainStorage("borrowing", o => o.ContainerName = "outer");
        await using var provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<IGrainStorage>(), provider.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));

        var lifecycle = new FakeLifecycle();
        foreach (var participant in provider.GetServices<ILifecycleParticipant<ISiloLifecycle>>())
        {
            participant.Participate(lifecycle);
        }

        Assert.Contains(lifecycle.Observers, o => o.Stage == ServiceLifecycleStage.ApplicationServices && o.Name.Contains(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, StringComparison.Ordinal));
        Assert.Contains(lifecycle.Observers, o => o.Stage == ServiceLifecycleStage.ApplicationServices && o.Name.Contains("borrowing", StringComparison.Ordinal));
        await lifecycle.StartAsync();

        var own = (ZooKeeperGrainStorage)provider.GetRequiredService<IGrainStorage>();
        var borrowing = (ZooKeeperGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>("borrowing");
        var outer = provider.GetRequiredKeyedService<ZooKeeperContainer>("outer");
        Assert.Same(outer, borrowing.Container);
        Assert.NotSame(outer, own.Container);
        Assert.Equal(own.Root, borrowing.Root);

        // Both see the same data (same path, same ServiceId).
        var id = Ids.Unique();
        var state = new GrainState<TestState> { State = new TestState { Value = 5 } };
        await own.WriteStateAsync("s", id, state);
        var read = new GrainState<TestState>();
        await borrowing.ReadStateAsync("s", id, read);
        Assert.Equal(state.ETag, read.ETag);

        // Stopping the providers alone: the own container closes, the borrowed one stays up.
        foreach (var (name, _, observer) in lifecycle.Observers.Where(o => o.Name.Contains(nameof(ZooKeeperGrainStorage), StringComparison.Ordinal)))
        {
            await observer.OnStop(CancellationToken.None);
        }

        Assert.Equal(ZooKeeperContainerState.Lost, own.Container.State);
        Assert.Equal(ZooKeeperContainerState.Connected, outer.State);
        await borrowing.ReadStateAsync("s", id, read);
        Assert.Equal(5, read.State!.Value);
        await lifecycle.StopAsync();
        Assert.Equal(ZooKeeperContainerState.Lost, outer.State);
    }
}
