using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests;

/// <summary>
/// The provider host: the one owner of a host's containers. Providers get ready connections and never decide
/// ownership; own containers are shared by provider name and close with their last connection; named ones are left to
/// their own lifecycle; health checks list every container through it; continuations never run on the reader thread.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ProviderHostTests(ServerFixture fixture)
{
    private string Url(string path) => $"zookeeper://{fixture.Server.ConnectString}{path}";

    [Fact]
    public async Task An_own_container_is_shared_by_its_providers_connections_and_closes_with_the_last_one()
    {
        await using var services = Services(s => s.AddZooKeeperProvider("clustering", _ => new Settings { Url = Url("/host-own") }));
        var host = services.GetRequiredService<ZooKeeperProviderHost>();
        Assert.Equal(["clustering"], host.ContainerNames);
        Assert.Null(host.Find("clustering")); // not connected yet

        var settings = new Settings { Url = Url("/host-own") };
        var first = await host.ConnectAsync("clustering", settings);
        var second = await host.ConnectAsync("clustering", settings);
        Assert.Same(first.Container, second.Container);
        Assert.Same(first.Container, host.Find("clustering"));
        Assert.Equal(ZooKeeperContainerState.Connected, first.Container.State);
        Assert.Equal("/host-own", first.BasePath);
        Assert.NotNull(await first.Client.ExistsAsync("/host-own")); // started: the base path is there
        Assert.Equal(Acls.OpenUnsafe, first.NodeAcl);

        await first.DisposeAsync();
        await first.DisposeAsync(); // once
        Assert.Equal(ZooKeeperContainerState.Connected, second.Container.State);
        await second.DisposeAsync();
        Assert.Equal(ZooKeeperContainerState.Lost, second.Container.State);
        Assert.Null(host.Find("clustering"));

        // A later connection gets a new container.
        await using var third = await host.ConnectAsync("clustering", settings);
        Assert.NotSame(second.Container, third.Container);
        Assert.Equal(ZooKeeperContainerState.Connected, third.Container.State);
    }

    [Fact]
    public async Task A_named_container_is_shared_and_left_open_and_an_unknown_name_fails_clearly()
    {
        await using var services = Services(s =>
        {
            s.AddZooKeeperContainer("main", o => o.Url = Url("/host-named"));
            s.AddZooKeeperProvider("storage:a", _ => new Settings { ContainerName = "main" });
            s.AddZooKeeperProvider("storage:b", _ => new Settings { Url = Url("/host-b") });
        });
        var host = services.GetRequiredService<ZooKeeperProviderHost>();
        Assert.Equal(["main", "storage:b"], host.ContainerNames); // storage:a runs no container of its own

        await using (var connection = await host.ConnectAsync("storage:a", new Settings { ContainerName = "main" }))
        {
            Assert.Same(services.GetRequiredKeyedService<ZooKeeperContainer>("main"), connection.Container);
            Assert.Equal(ZooKeeperContainerState.Connected, connection.Container.State); // started for it (no silo lifecycle here)
        }

        var main = services.GetRequiredKeyedService<ZooKeeperContainer>("main");
        Assert.Equal(ZooKeeperContainerState.Connected, main.State); // its lifecycle is its own
        Assert.Contains(main, host.Containers);

        var unknown = await Assert.ThrowsAsync<OrleansConfigurationException>(() => host.ConnectAsync("storage:c", new Settings { ContainerName = "nope" }));
        Assert.Contains("'storage:c'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("'nope'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("registered: 'main'", unknown.Message, StringComparison.Ordinal);

        var mixed = await Assert.ThrowsAsync<OrleansConfigurationException>(() => host.ConnectAsync("storage:d", new Settings { ContainerName = "main", Url = Url("/x") }));
        Assert.Contains("ContainerName ('main')", mixed.Message, StringComparison.Ordinal);
        await main.DisposeAsync();
    }

    [Fact]
    public async Task Health_checks_list_every_container_the_host_knows_before_and_after_its_provider_connects()
    {
        await using var services = Services(s =>
        {
            s.AddZooKeeperContainer("main", o => o.Url = Url("/host-health"));
            s.AddZooKeeperProvider("clustering", _ => new Settings { Url = Url("/host-health-own") });
            s.AddZooKeeperHealthChecks();
        });
        var health = services.GetRequiredService<HealthCheckService>();
        var before = await health.CheckHealthAsync();
        Assert.Equal(["zookeeper:clustering", "zookeeper:main"], before.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("has not been started yet", before.Entries["zookeeper:clustering"].Description, StringComparison.Ordinal);

        var host = services.GetRequiredService<ZooKeeperProviderHost>();
        await using var connection = await host.ConnectAsync("clustering", new Settings { Url = Url("/host-health-own") });
        var after = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, after.Entries["zookeeper:clustering"].Status);
        Assert.Equal(SessionIds.Format(connection.Client.SessionId), after.Entries["zookeeper:clustering"].Data["sessionId"]);
        await services.GetRequiredKeyedService<ZooKeeperContainer>("main").DisposeAsync();
    }

    [Fact]
    public async Task Code_after_an_await_on_a_providers_client_never_runs_on_the_reader_thread_even_when_configured_otherwise()
    {
        await using var services = Services(s => s.AddZooKeeperContainer("inline", o =>
        {
            o.Url = Url("/host-reader");
            o.ConfigureClient = c => c.RunContinuationsAsynchronously = false; // overridden by construction
        }));
        var host = services.GetRequiredService<ZooKeeperProviderHost>();
        await using var connection = await host.ConnectAsync("storage:x", new Settings { ContainerName = "inline" });
        await connection.Client.WhenEventsDeliveredAsync(); // connect-time events out of the way
        var threads = await Task.Run(async () =>
        {
            // As provider code awaits: no captured context, so the continuation runs wherever the client completes.
            var seen = new List<string?>();
            for (var i = 0; i < 20; i++)
            {
                await connection.Client.ExistsAsync("/host-reader").ConfigureAwait(false);
                seen.Add(Thread.CurrentThread.Name);
            }

            return seen;
        });

        Assert.DoesNotContain(threads, t => t?.StartsWith("ZooKeeper reader", StringComparison.Ordinal) == true);
        await connection.Container.DisposeAsync();
    }

    private static ServiceProvider Services(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        configure(services);
        return services.BuildServiceProvider();
    }

    private sealed class Settings : ZooKeeperProviderContainerOptions;
}
