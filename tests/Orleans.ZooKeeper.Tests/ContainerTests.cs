using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.TestingHost;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Tests;

public sealed class ServerFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "container server";
}

[Collection(ServerCollection.Name)]
public sealed class ContainerTests(ServerFixture fixture)
{
    private string Url(string path) => $"zookeeper://{fixture.Server.ConnectString}{path}";

    [Fact]
    public async Task A_container_built_from_code_connects_reports_states_and_helpers_work_relative_to_its_path()
    {
        var path = "/code-" + Guid.NewGuid().ToString("N")[..8];
        await using var container = ZooKeeperContainer.Create("code", Url(path));
        var events = new List<ZooKeeperContainerStateChanged>();
        container.StateChanged += (_, e) => { lock (events) { events.Add(e); } };
        var stream = new List<ZooKeeperContainerStateChanged>();
        var changes = container.StateChangesAsync(); // subscribed from here on
        var reading = Task.Run(async () => { await foreach (var e in changes) { stream.Add(e); } });
        Assert.Equal(ZooKeeperContainerState.Lost, container.State);

        await container.StartAsync();
        Assert.Equal(ZooKeeperContainerState.Connected, container.State);
        Assert.NotNull(await container.Client.ExistsAsync(path));

        Assert.Null(await container.GetDataAsync("missing"));
        Assert.Null(await container.GetChildrenAsync("missing"));
        Assert.Null(await container.GetJsonAsync<Dictionary<string, int>>("missing"));
        await container.SetDataAsync("a/b", "raw"u8.ToArray());
        Assert.Equal("raw", Encoding.UTF8.GetString((await container.GetDataAsync("a/b"))!));
        await container.SetJsonAsync("cfg", new Dictionary<string, int> { ["x"] = 1 });
        Assert.Equal(1, (await container.GetJsonAsync<Dictionary<string, int>>("./cfg"))!["x"]);
        Assert.Equal(new[] { "a", "cfg" }, (await container.GetChildrenAsync(""))!.Order());
        await container.SetDataAsync("cfg", "not json"u8.ToArray());
        var bad = await Assert.ThrowsAsync<InvalidDataException>(() => container.GetJsonAsync<Dictionary<string, int>>("cfg"));
        Assert.Contains(path + "/cfg", bad.Message);
        Assert.Throws<ArgumentException>(() => container.ResolvePath("/absolute"));
        Assert.Contains("..", Assert.Throws<ArgumentException>(() => container.ResolvePath("../escape")).Message);

        // Advertising twice on one path updates the same node.
        var ad = await container.AdvertiseAsync("v1"u8.ToArray(), "svc/node-");
        var again = await container.AdvertiseAsync("v2"u8.ToArray(), "svc/node-");
        Assert.Same(ad, again);
        Assert.Single((await container.GetChildrenAsync("svc"))!);
        Assert.Equal("v2", Encoding.UTF8.GetString((await container.Client.GetDataAsync(ad.CurrentPath!)).Data));
        Assert.True((await container.Client.ExistsAsync(ad.CurrentPath!))!.Value.IsEphemeral);
        await ad.DisposeAsync();
        Assert.Empty((await container.GetChildrenAsync("svc"))!);

        await container.StopAsync();
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { ZooKeeperContainerState.Connected, ZooKeeperContainerState.Lost }, stream.Select(e => e.State));
        await TestWait.UntilAsync(() => Task.FromResult(events.Count == 2), TimeSpan.FromSeconds(5), "two events");
        Assert.Equal(stream.Select(e => e.State), events.Select(e => e.State));
        Assert.All(events, e => Assert.Equal("code", e.ContainerName));
        Assert.Null(events[0].Silo);

        await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });
        await observer.DeleteRecursiveAsync(path);
    }

    [Fact]
    public async Task Startup_fails_clearly_when_the_named_stream_provider_is_missing()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties["zk"] = Url("/no-provider");
        builder.AddSiloBuilderConfigurator<MissingProviderSilo>();
        var cluster = builder.Build();
        try
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync());
            var all = ex.ToString();
            Assert.Contains("no stream provider of that name is registered", all);
            Assert.Contains("AddMemoryStreams(\"nosuchprovider\")", all);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Advertised_nodes_disappear_when_the_silo_shuts_down_and_containers_resolve_by_name()
    {
        var path = "/shutdown-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new TestClusterBuilder(1);
        builder.Properties["zk"] = Url(path);
        builder.AddSiloBuilderConfigurator<PlainSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        string advertised;
        try
        {
            var services = ((InProcessSiloHandle)cluster.Primary!).SiloHost.Services;
            var containers = services.GetRequiredService<ZooKeeperContainers>();
            Assert.Equal(new[] { "main", "second" }, containers.Names.Order());
            var main = containers.Get("main");
            Assert.Same(main, services.GetRequiredKeyedService<ZooKeeperContainer>("main"));
            Assert.NotSame(main, containers.Get("second"));
            Assert.NotEqual(main.Client.SessionId, containers.Get("second").Client.SessionId);
            Assert.Contains("'nope'", Assert.Throws<KeyNotFoundException>(() => containers.Get("nope")).Message);
            advertised = (await main.AdvertiseAsync("here"u8.ToArray(), "silos/s-")).CurrentPath!;
            Assert.NotNull(await main.Client.ExistsAsync(advertised));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }

        await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });
        Assert.Null(await observer.ExistsAsync(advertised));
        await observer.DeleteRecursiveAsync(path);
    }

    private sealed class MissingProviderSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
            => siloBuilder.AddZooKeeperContainer("c", siloBuilder.Configuration["zk"], "nosuchprovider");
    }

    private sealed class PlainSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddZooKeeperContainer("main", siloBuilder.Configuration["zk"]);
            siloBuilder.AddZooKeeperContainer("second", siloBuilder.Configuration["zk"] + "/second");
        }
    }
}

/// <summary>A container whose TLS settings come only from a configuration section.</summary>
public sealed class TlsContainerTests
{
    [Fact]
    public async Task A_container_configured_for_mutual_TLS_in_its_section_connects_and_reads_and_writes()
    {
        var certs = TestCertificates.Shared;
        await using var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
        {
            Tls = certs.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Need, ZooKeeperTlsProtocols.Tls12And13),
        });
        var path = "/tls-" + Guid.NewGuid().ToString("N")[..8];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["zookeeper:servers"] = server.SecureConnectString,
            ["zookeeper:path"] = path,
            ["zookeeper:tls"] = "true",
            ["zookeeper:tls_ca_file"] = certs.Ca.CertificatePemPath,
            ["zookeeper:tls_cert_file"] = certs.Client.CertificatePemPath,
            ["zookeeper:tls_key_file"] = certs.Client.EncryptedPrivateKeyPemPath,
            ["zookeeper:tls_key_password"] = certs.Password,
            ["zookeeper:tls_protocols"] = "1.2,1.3",
        }).Build();
        var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

        await using var container = ZooKeeperContainer.Create("tls", configuration: configuration, loggerFactory: loggerFactory);
        Assert.Equal(server.SecureConnectString, container.Target.ConnectString);
        Assert.Equal(certs.Client.CertificatePemPath, container.Target.Tls?.CertificateFile);
        await container.StartAsync();

        Assert.Equal(ZooKeeperContainerState.Connected, container.State);
        Assert.Equal("Tls13", container.Client.TlsProtocol);
        Assert.Contains(new ClientInfo("x509", TestCertificates.ClientSubject), await container.Client.WhoAmIAsync());
        Assert.NotNull(await container.Client.ExistsAsync(path));
        await container.SetDataAsync("settings/feature", "over tls"u8.ToArray());
        Assert.Equal("over tls", Encoding.UTF8.GetString((await container.GetDataAsync("settings/feature"))!));
        await container.SetJsonAsync("cfg", new Dictionary<string, int> { ["x"] = 1 });
        Assert.Equal(1, (await container.GetJsonAsync<Dictionary<string, int>>("cfg"))!["x"]);

        await container.Client.DeleteRecursiveAsync(path);
        await container.StopAsync();
        Assert.Contains(logs.Lines, l => l.Contains("TLS, CA file", StringComparison.Ordinal)); // the target is logged with its TLS settings...
        Assert.DoesNotContain(logs.Lines, l => l.Contains(certs.Password, StringComparison.Ordinal)); // ...but never the key password
    }
}
