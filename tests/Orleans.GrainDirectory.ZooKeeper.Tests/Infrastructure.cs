using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Orleans.GrainDirectory.ZooKeeper.Tests;

/// <summary>The collection's server (see <see cref="StandaloneServerFixture"/>).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly StandaloneServerFixture _fixture = new();

    public ZooKeeperServer Server => _fixture.Server;

    public Task InitializeAsync() => _fixture.StartAsync();

    public async Task DisposeAsync() => await _fixture.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "directory server";
}

/// <summary>A started directory through DI (as a silo builds it), in a cluster id of its own.</summary>
internal sealed class DirectoryHandle : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private DirectoryHandle(ServiceProvider services, ZooKeeperGrainDirectory directory) => (_services, Directory) = (services, directory);

    public ZooKeeperGrainDirectory Directory { get; }

    public IGrainDirectory Contract => Directory;

    public static async Task<DirectoryHandle> StartAsync(string servers, string? clusterId = null, string name = "zk")
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = ("svc", clusterId ?? "test-" + Guid.NewGuid().ToString("N")[..8] + "/foo2"));
        services.AddZooKeeperGrainDirectory(name, ob => ob.Configure(o => o.Url = $"zookeeper://{servers}/directory-tests"));
        var provider = services.BuildServiceProvider();
        foreach (var validator in provider.GetServices<IConfigurationValidator>())
        {
            validator.ValidateConfiguration();
        }

        var directory = (ZooKeeperGrainDirectory)provider.GetRequiredKeyedService<IGrainDirectory>(name);
        await directory.InitializeAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return new DirectoryHandle(provider, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await Directory.StopAsync();
        await _services.DisposeAsync();
    }
}

internal static class Addresses
{
    public static readonly SiloAddress SiloA = SiloAddress.New(new IPEndPoint(IPAddress.Parse("10.0.23.12"), 1000), 5678);
    public static readonly SiloAddress SiloB = SiloAddress.New(new IPEndPoint(IPAddress.Parse("10.0.23.14"), 1000), 4583);

    public static GrainId NewGrain(string key = "foo/bar\\#baz?") => GrainId.Create("user", key + Guid.NewGuid().ToString("N")[..6]);

    public static GrainAddress Address(GrainId grain, SiloAddress silo, ActivationId? activation = null)
        => new() { GrainId = grain, SiloAddress = silo, ActivationId = activation ?? ActivationId.NewId(), MembershipVersion = new MembershipVersion(51) };
}
