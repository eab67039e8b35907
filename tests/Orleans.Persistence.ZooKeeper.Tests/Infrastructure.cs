using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Testing;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>One real ZooKeeper server (standalone, loopback) shared by every test of the project, plus a raw client.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    /// <summary>A plain client without credentials, to look at what the provider wrote.</summary>
    public ZooKeeperClient Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Extended types: TTL nodes (StateExpiry) and container nodes reaped within about a second.
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { ExtendedTypes = true });
        Raw = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = Server.ConnectString });
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }

        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }

    private readonly SemaphoreSlim _clusterLock = new(1, 1);
    private TestCluster? _cluster;

    public string HostingBasePath { get; } = "/hosting-" + Guid.NewGuid().ToString("N")[..8];

    public string HostingServiceId { get; } = "hosting-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>One single-silo cluster (see <see cref="ClusterSetup"/>) shared by the hosting tests, started on first use.</summary>
    public async Task<TestCluster> HostingClusterAsync()
    {
        await _clusterLock.WaitAsync();
        try
        {
            if (_cluster is null)
            {
                var cluster = ClusterSetup.Builder(this, HostingBasePath, HostingServiceId, 1).Build();
                try
                {
                    await cluster.DeployAsync();
                }
                catch
                {
                    await cluster.DisposeAsync();
                    throw;
                }

                _cluster = cluster;
            }

            return _cluster;
        }
        finally
        {
            _clusterLock.Release();
        }
    }

    /// <summary>A fresh container URL on this server: every test stores under its own path.</summary>
    public string NewUrl(string prefix) => $"zookeeper://{Server.ConnectString}/{prefix}-{Guid.NewGuid():N}";

    /// <summary>Starts a provider outside any silo (plain ServiceCollection, same registration code as a silo).</summary>
    public Task<StorageHandle> StartStorageAsync(Action<ZooKeeperGrainStorageOptions>? configure = null, string? url = null, string? serviceId = null, string name = "zk", Action<IServiceCollection>? services = null)
        => StorageHandle.StartAsync(url ?? NewUrl("pst"), serviceId ?? "svc-" + Guid.NewGuid().ToString("N")[..8], name, configure, services);
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "zookeeper server";
}

/// <summary>A ZooKeeper grain storage provider built through <c>AddZooKeeperGrainStorage</c> in a plain ServiceCollection and started by hand.</summary>
public sealed class StorageHandle : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private StorageHandle(ServiceProvider services, string name, string serviceId, string url, LogCapture logs)
    {
        _services = services;
        Name = name;
        ServiceId = serviceId;
        Url = url;
        Logs = logs;
        Storage = (ZooKeeperGrainStorage)services.GetRequiredKeyedService<IGrainStorage>(name);
    }

    public string Name { get; }

    public string ServiceId { get; }

    public string Url { get; }

    public LogCapture Logs { get; }

    public IServiceProvider Services => _services;

    internal ZooKeeperGrainStorage Storage { get; }

    public IGrainStorage GrainStorage => Storage;

    public string Root => Storage.Root;

    public ZooKeeperClient Client => Storage.Container.Client;

    public static async Task<StorageHandle> StartAsync(string url, string serviceId, string name, Action<ZooKeeperGrainStorageOptions>? configure, Action<IServiceCollection>? extra)
    {
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = serviceId;
            o.ClusterId = "tests";
        });
        services.AddZooKeeperGrainStorage(name, o =>
        {
            o.Url = url;
            configure?.Invoke(o);
        });
        extra?.Invoke(services);
        var provider = services.BuildServiceProvider();
        foreach (var validator in provider.GetServices<IConfigurationValidator>())
        {
            validator.ValidateConfiguration();
        }

        var handle = new StorageHandle(provider, name, serviceId, url, logs);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await handle.Storage.InitAsync(cts.Token);
        }
        catch
        {
            await handle.DisposeAsync();
            throw;
        }

        return handle;
    }

    public string PathFor(GrainId grainId, string stateName) => Storage.PathFor(grainId, stateName);

    public async Task<ReadResult<T>> ReadAsync<T>(GrainId grainId, string stateName = "state")
    {
        var state = new GrainState<T>();
        await Storage.ReadStateAsync(stateName, grainId, state);
        return new ReadResult<T>(state.State!, state.ETag, state.RecordExists);
    }

    /// <summary>Writes <paramref name="value"/> with <paramref name="etag"/> and returns the new ETag.</summary>
    public async Task<string> WriteAsync<T>(GrainId grainId, T value, string? etag, string stateName = "state")
    {
        var state = new GrainState<T> { State = value, ETag = etag };
        await Storage.WriteStateAsync(stateName, grainId, state);
        Assert.True(state.RecordExists);
        return state.ETag!;
    }

    /// <summary>Clears with <paramref name="etag"/> and returns the ETag the provider leaves (null when the node was deleted).</summary>
    public async Task<string?> ClearAsync<T>(GrainId grainId, string? etag, string stateName = "state")
        where T : new()
    {
        var state = new GrainState<T> { State = new T(), ETag = etag, RecordExists = etag is not null };
        await Storage.ClearStateAsync(stateName, grainId, state);
        Assert.False(state.RecordExists);
        return state.ETag;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Storage.Container.DisposeAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        await _services.DisposeAsync();
    }
}

/// <summary>What a read gave.</summary>
public sealed record ReadResult<T>(T State, string? ETag, bool RecordExists);

/// <summary>State used by most tests.</summary>
[GenerateSerializer]
public sealed class TestState
{
    [Id(0)]
    public int Value { get; set; }

    [Id(1)]
    public string? Text { get; set; }

    public override string ToString() => $"{Value}/{Text}";
}

internal static class Ids
{
    public static GrainId String(string type, string key) => GrainId.Create(GrainType.Create(type), IdSpan.Create(key));

    public static GrainId Guid(string type, Guid key) => GrainId.Create(GrainType.Create(type), GrainIdKeyExtensions.CreateGuidKey(key));

    public static GrainId Long(string type, long key) => GrainId.Create(GrainType.Create(type), GrainIdKeyExtensions.CreateIntegerKey(key));

    public static GrainId GuidCompound(string type, Guid key, string ext) => GrainId.Create(GrainType.Create(type), GrainIdKeyExtensions.CreateGuidKey(key, ext));

    public static GrainId LongCompound(string type, long key, string ext) => GrainId.Create(GrainType.Create(type), GrainIdKeyExtensions.CreateIntegerKey(key, ext));

    public static GrainId Unique(string type = "battery") => String(type, "g-" + System.Guid.NewGuid().ToString("N")[..12]);
}

/// <summary>The tokens Orleans' Redis and ADO.NET providers put in storage exception messages, parsed back.</summary>
public sealed partial record StorageMessage(string What, string Operation, string ServiceId, string ProviderName, string GrainType, string GrainId, string ETag)
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<what>[^(]+) \((?<op>\w+)\): ServiceId=(?<svc>\S*) ProviderName=(?<provider>\S*) GrainType=(?<type>\S*) GrainId=(?<id>\S*) ETag=(?<etag>\S*?)\.(\s|$)")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    public static StorageMessage Parse(string message)
    {
        var m = Pattern().Match(message);
        Assert.True(m.Success, $"no Orleans storage tokens in: {message}");
        return new StorageMessage(m.Groups["what"].Value, m.Groups["op"].Value, m.Groups["svc"].Value, m.Groups["provider"].Value, m.Groups["type"].Value, m.Groups["id"].Value, m.Groups["etag"].Value);
    }

    /// <summary>Asserts the tokens name this provider, grain and ETag (empty for none, as Orleans writes it).</summary>
    public StorageMessage For(StorageHandle zk, GrainId grainId, string? etag, string operation)
    {
        Assert.Equal(zk.ServiceId, ServiceId);
        Assert.Equal(zk.Name, ProviderName);
        Assert.Equal(grainId.Type.ToString(), GrainType);
        Assert.Equal(grainId.ToString(), GrainId);
        Assert.Equal(etag ?? string.Empty, ETag);
        Assert.Equal(operation, Operation);
        return this;
    }
}

/// <summary>The format mark in front of stored data.</summary>
internal static class Marks
{
    public static readonly byte[] Json = "\u001Ejson\n"u8.ToArray();
    public static readonly byte[] JsonGzip = "\u001Ejson+gzip\n"u8.ToArray();
    public static readonly byte[] Custom = "\u001Ecustom\n"u8.ToArray();
    public static readonly byte[] Orleans = "\u001Eorleans\n"u8.ToArray();

    /// <summary>The bytes after the mark, asserting it is <paramref name="mark"/>.</summary>
    public static byte[] After(byte[] mark, byte[] data)
    {
        Assert.True(data.AsSpan().StartsWith(mark), $"expected the mark {System.Text.Encoding.ASCII.GetString(mark).Trim()} at the start of: {System.Text.Encoding.UTF8.GetString(data[..Math.Min(40, data.Length)])}");
        return data[mark.Length..];
    }
}

internal static class Znodes
{
    /// <summary>Every node below <paramref name="path"/> (not the node itself), depth first.</summary>
    public static async Task<List<string>> DescendantsAsync(ZooKeeperClient client, string path)
    {
        var result = new List<string>();
        foreach (var child in (await client.GetChildrenAsync(path)).Order(StringComparer.Ordinal))
        {
            var full = ZooKeeperPath.Combine(path, child);
            result.Add(full);
            result.AddRange(await DescendantsAsync(client, full));
        }

        return result;
    }
}

/// <summary>JSON behind a marker, to see which serializer wrote a node.</summary>
public sealed class MarkingSerializer : IGrainStorageSerializer
{
    public static readonly byte[] Marker = "MARK:"u8.ToArray();

    private int _calls;

    public int Calls => _calls;

    public BinaryData Serialize<T>(T? input)
    {
        Interlocked.Increment(ref _calls);
        return new BinaryData(Marker.Concat(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(input)).ToArray());
    }

    public T Deserialize<T>(BinaryData input)
    {
        Interlocked.Increment(ref _calls);
        var bytes = input.ToArray();
        Assert.True(bytes.AsSpan().StartsWith(Marker));
        return System.Text.Json.JsonSerializer.Deserialize<T>(bytes.AsSpan(Marker.Length))!;
    }
}
