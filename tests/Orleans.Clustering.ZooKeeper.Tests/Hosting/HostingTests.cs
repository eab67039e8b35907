using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Clustering.ZooKeeper.TestSilo;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.TestingHost;
using Orleans.ZooKeeper;

namespace Orleans.Clustering.ZooKeeper.Tests.Hosting;

/// <summary>Registration on silo and client, configuration-only setup, shared containers, startup errors, secrets.</summary>
[Collection(ServerCollection.Name)]
public sealed class HostingTests(ServerFixture fixture)
{
    [Fact]
    public async Task Configuration_alone_sets_up_clustering_on_the_silos_and_the_client()
    {
        var url = fixture.NewUrl("cfg");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var builder = new TestClusterBuilder(2);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ClusterId = "from-config";
        builder.Properties["Orleans:Clustering:ProviderType"] = "ZooKeeper";
        builder.Properties["Orleans:Clustering:Url"] = url;
        builder.Properties["Orleans:Clustering:Username"] = "cfg-user";
        builder.Properties["Orleans:Clustering:Password"] = password;
        builder.AddSiloBuilderConfigurator<CapturingSilo>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var silo = ((InProcessSiloHandle)cluster.Silos[0]).SiloHost.Services;
            var table = Assert.IsType<ZooKeeperMembershipTable>(silo.GetRequiredService<IMembershipTable>());
            Assert.Equal(url, silo.GetRequiredService<IOptions<ZooKeeperClusteringOptions>>().Value.Url);
            Assert.IsType<ZooKeeperGatewayListProvider>(cluster.Client.ServiceProvider.GetRequiredService<IGatewayListProvider>());

            // Both silos are Active rows of the table in ZooKeeper, and the client reaches grains through the gateways.
            var rows = (await table.ReadAllAsync(default)).Members.Where(m => m.Item1.Status == SiloStatus.Active).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Equal(cluster.Silos.Select(s => s.SiloAddress).Order(), rows.Select(r => r.Item1.SiloAddress).Order());
            Assert.Equal(2, (await cluster.Client.ServiceProvider.GetRequiredService<IGatewayListProvider>().GetGatewaysAsync(default)).Count);
            Assert.NotEmpty(await cluster.Client.GetGrain<IWhereGrain>(1).Where());

            // Clustering's own container is one of the silo's ZooKeeper health checks.
            var health = await silo.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Entries["zookeeper:clustering"].Status);
            await Assert.ThrowsAsync<Orleans.ZooKeeper.Client.NoAuthException>(async () => await fixture.Raw.GetDataAsync(table.TablePath));

            // The options were logged at startup, the password redacted.
            var logs = CapturingSilo.Logs.Entries.ToList();
            Assert.Contains(logs, e => e.Contains(nameof(ZooKeeperClusteringOptions), StringComparison.Ordinal) && e.Contains("Password", StringComparison.Ordinal));
            Assert.Contains(logs, e => e.Contains("ZooKeeper clustering keeps cluster 'from-config'", StringComparison.Ordinal));
            Assert.All(logs, e => Assert.DoesNotContain(password, e));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }

        // The silos left: their rows say so (graceful shutdown writes Dead).
        await using var reader = await fixture.StartTableAsync(url, "from-config", o =>
        {
            o.Username = "cfg-user";
            o.Password = password;
        });
        Assert.All((await reader.Membership.ReadAllAsync(default)).Members, m => Assert.Equal(SiloStatus.Dead, m.Item1.Status));
    }

    [Fact]
    public async Task ContainerName_shares_a_registered_containers_session()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.Configure<ClusterOptions>(o => o.ClusterId = "shared");
        services.AddZooKeeperContainer("main", o => o.Url = fixture.NewUrl("shared"));
        services.AddOptions<ZooKeeperClusteringOptions>().Configure(o => o.ContainerName = "main");
        services.AddSingleton<ZooKeeperMembershipTable>();
        services.AddZooKeeperProviderHost();
        await using var provider = services.BuildServiceProvider();
        var container = provider.GetRequiredService<ZooKeeperContainers>().Get("main");
        var table = provider.GetRequiredService<ZooKeeperMembershipTable>();

        // Not started by a silo here (as on a client): the table starts it.
        await table.InitializeMembershipTableAsync(true, default);
        Assert.Same(container, table.Container);
        Assert.Equal(ZooKeeperContainerState.Connected, container.State);
        Assert.Equal($"{container.BasePath}/shared", table.TablePath);
        Assert.NotNull(await fixture.Raw.ExistsAsync(table.TablePath));

        // The table does not close a container it does not own.
        await table.DisposeAsync();
        Assert.Equal(ZooKeeperContainerState.Connected, container.State);
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "url", "zookeeper://127.0.0.1:0/x", "URL 'zookeeper://127.0.0.1:0/x'" },
        { "url", "http://127.0.0.1:2181/x", "URL 'http://127.0.0.1:2181/x'" },
        { "no-servers", "zookeeper:///x", "No ZooKeeper servers" },
        { "container+url", "zookeeper://127.0.0.1:1/x", "ContainerName ('main') names an existing container" },
        { "user-only", "zookeeper://127.0.0.1:1/x", "Username and Password go together" },
        { "cluster-id", "zookeeper://127.0.0.1:1/x", "ClusterOptions.ClusterId 'a/b' cannot be a ZooKeeper node name" },
        { "attempts", "zookeeper://127.0.0.1:1/x", "MaxReadAttempts must be at least 1" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_fail_validation_on_silo_and_client_with_the_containers_errors(string bad, string url, string expected)
    {
        foreach (var client in new[] { false, true })
        {
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            services.Configure<ClusterOptions>(o => o.ClusterId = bad == "cluster-id" ? "a/b" : "ok");
            Action<ZooKeeperClusteringOptions> configure = o =>
            {
                o.Url = url;
                o.ContainerName = bad == "container+url" ? "main" : null;
                o.Username = bad == "user-only" ? "u" : null;
                o.MaxReadAttempts = bad == "attempts" ? 0 : 20;
            };
            if (client)
            {
                new TestClientBuilder(services).UseZooKeeperClustering(configure);
            }
            else
            {
                new TestSiloBuilder(services).UseZooKeeperClustering(configure);
            }

            using var provider = services.BuildServiceProvider();
            var validator = Assert.Single(provider.GetServices<IConfigurationValidator>());
            var ex = Assert.ThrowsAny<Exception>(validator.ValidateConfiguration);
            Assert.Contains(expected, ex.Message);
            if (bad is "url" or "no-servers")
            {
                Assert.IsType<ZooKeeperConfigurationException>(ex);
            }
            else
            {
                Assert.StartsWith("Invalid configuration for ZooKeeper clustering: ", ex.Message);
            }
        }
    }

    [Fact]
    public async Task A_bad_url_fails_silo_startup_with_the_containers_error()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseZooKeeperClustering(o => o.Url = "zookeeper://zk1:2181/a//b")
            .ConfigureEndpoints(System.Net.IPAddress.Loopback, FreePort.Next(), FreePort.Next()));
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<ZooKeeperConfigurationException>(() => host.StartAsync());
        Assert.Contains("zookeeper://zk1:2181/a//b", ex.Message);
    }

    [Fact]
    public void Both_builders_register_the_provider_and_the_registration_attributes_are_there()
    {
        var silo = new ServiceCollection();
        new TestSiloBuilder(silo).UseZooKeeperClustering(o => o.Url = "zookeeper://127.0.0.1:1/x");
        Assert.Contains(silo, d => d.ServiceType == typeof(IMembershipTable));
        Assert.Contains(silo, d => d.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>));
        Assert.DoesNotContain(silo, d => d.ServiceType == typeof(IGatewayListProvider));

        var client = new ServiceCollection();
        new TestClientBuilder(client).UseZooKeeperClustering(o => o.Url = "zookeeper://127.0.0.1:1/x");
        Assert.Contains(client, d => d.ServiceType == typeof(IGatewayListProvider));
        Assert.DoesNotContain(client, d => d.ServiceType == typeof(IMembershipTable));

        var registrations = typeof(ZooKeeperMembershipTable).Assembly.GetCustomAttributes(typeof(RegisterProviderAttribute), false)
            .Cast<RegisterProviderAttribute>().Select(a => $"{a.Name}/{a.Kind}/{a.Target}").Order();
        Assert.Equal(["ZooKeeper/Clustering/Client", "ZooKeeper/Clustering/Silo"], registrations);
    }

    private sealed class CapturingSilo : ISiloConfigurator
    {
        public static LogCapture Logs { get; } = new();

        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton<ILoggerProvider>(Logs);
            siloBuilder.Services.AddLogging(b => b.AddFilter("Orleans.Clustering.ZooKeeper", LogLevel.Trace));
            siloBuilder.AddZooKeeperHealthChecks();
        }
    }

    private sealed class TestSiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }

    private sealed class TestClientBuilder(IServiceCollection services) : IClientBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }
}
