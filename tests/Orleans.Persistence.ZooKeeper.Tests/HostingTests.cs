using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Registration paths, validation, and the provider inside a silo (see <see cref="ClusterSetup"/>).</summary>
[Collection(ServerCollection.Name)]
public sealed class HostingTests(ServerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_provider_set_up_only_from_configuration_is_registered_bound_and_stores_in_zookeeper()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.ConfiguredProvider);
        var options = cluster.Services().GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(ClusterSetup.ConfiguredProvider);
        Assert.Equal(ClusterSetup.Url(fixture, fixture.HostingBasePath, "configured"), options.Url);
        Assert.True(options.DeleteStateOnClear);
        Assert.Equal(4096, options.MaxStateSize);
        Assert.IsType<ZooKeeperJsonGrainStorageSerializer>(options.GrainStorageSerializer);
        Assert.Equal($"{fixture.HostingBasePath}/configured/{ZNodeNames.Encode(fixture.HostingServiceId)}", storage.Root);

        var grain = cluster.Client.GetGrain<IConfiguredProfileGrain>("from-config");
        var written = await grain.Set("configured");
        var node = ClusterSetup.NodeOf(storage.Root, grain.GetGrainId(), "profile");
        var data = await fixture.Raw.GetDataAsync(node);
        Assert.Equal("configured", JsonDocument.Parse(Marks.After(Marks.Json, data.Data)).RootElement.GetProperty("Name").GetString());
        Assert.Equal(ZooKeeperGrainStorage.ETag(data.Stat), written.ETag);

        // DeleteStateOnClear came from configuration too.
        await grain.Clear();
        Assert.Null(await fixture.Raw.ExistsAsync(node));

        // So did MaxStateSize; and the storage error reaches the caller intact, not as a serialization failure.
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => grain.Set(new string('x', 5000)));
        Assert.Contains("limit of 4096 bytes", ex.Message);
        Assert.Equal(ClusterSetup.ConfiguredProvider, StorageMessage.Parse(ex.Message).ProviderName);
        Assert.Null(await fixture.Raw.ExistsAsync(node));
    }

    [Fact]
    public async Task SerializerKey_in_configuration_selects_a_keyed_serializer()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.MarkedProvider);
        var options = cluster.Services().GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get(ClusterSetup.MarkedProvider);
        Assert.Same(cluster.Services().GetRequiredKeyedService<IGrainStorageSerializer>(ClusterSetup.MarkerSerializerKey), options.GrainStorageSerializer);

        var grain = cluster.Client.GetGrain<IMarkedProfileGrain>("marked");
        await grain.Set("with marker");
        var data = (await fixture.Raw.GetDataAsync(ClusterSetup.NodeOf(storage.Root, grain.GetGrainId(), "profile"))).Data;
        Assert.True(Marks.After(Marks.Custom, data).AsSpan().StartsWith(MarkingSerializer.Marker));
        Assert.Equal("with marker", (await grain.Get()).State.Name);
    }

    [Fact]
    public async Task Storage_errors_reach_the_caller_of_the_grain_with_their_message_and_inner_exception()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.MainProvider);

        // Undeserializable data: the activation fails with the provider's message, naming the node.
        var broken = cluster.Client.GetGrain<IStringProfileGrain>("broken-data");
        var brokenNode = ClusterSetup.NodeOf(storage.Root, broken.GetGrainId(), "profile");
        await fixture.Raw.CreateWithParentsAsync(brokenNode, "{broken"u8.ToArray());
        var readError = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => broken.Get());
        Assert.Contains(brokenNode, readError.Message);
        Assert.Contains("does not deserialize", readError.Message);
        Assert.IsAssignableFrom<JsonException>(readError.InnerException);
        Assert.Equal("{broken"u8.ToArray(), (await fixture.Raw.GetDataAsync(brokenNode)).Data);

        // JSON null (from an outside client or an older serializer) is refused the same way: the caller gets the
        // provider's message, not a NullReferenceException from a null State inside the grain.
        var nulled = cluster.Client.GetGrain<IStringProfileGrain>("null-data");
        var nullNode = ClusterSetup.NodeOf(storage.Root, nulled.GetGrainId(), "profile");
        await fixture.Raw.CreateWithParentsAsync(nullNode, "null"u8.ToArray());
        var nullError = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => nulled.Set("over null"));
        Assert.Contains(nullNode, nullError.Message);
        Assert.Contains("deserializes to null", nullError.Message);
        Assert.Equal("null"u8.ToArray(), (await fixture.Raw.GetDataAsync(nullNode)).Data);

        // A server-side refusal (the grain type's node belongs to someone else): the ZooKeeper client's exception
        // comes along as the inner exception.
        var locked = cluster.Client.GetGrain<ILockedProfileGrain>("locked");
        var lockedNode = ClusterSetup.NodeOf(storage.Root, locked.GetGrainId(), "profile");
        await using (var owner = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString }.AddDigest("owner", "owner-pw")))
        {
            await owner.EnsurePathAsync(lockedNode[..lockedNode.LastIndexOf('/')]);
            await owner.SetAclAsync(lockedNode[..lockedNode.LastIndexOf('/')], Acls.DigestOnly("owner", "owner-pw"));
        }

        Assert.False((await locked.Get()).RecordExists);
        var writeError = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => locked.Set("denied"));
        Assert.Contains(lockedNode, writeError.Message);
        Assert.Contains("NoAuth", writeError.Message);
        Assert.IsType<NoAuthException>(writeError.InnerException);
    }

    [Fact]
    public async Task A_provider_can_store_through_an_existing_named_container()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.ContainerProvider);
        var shared = cluster.Services().GetRequiredService<ZooKeeperContainers>().Get(ClusterSetup.SharedContainer);
        Assert.Same(shared, storage.Container);
        Assert.Equal($"{fixture.HostingBasePath}/shared", shared.BasePath);
        Assert.Equal($"{shared.BasePath}/{ZNodeNames.Encode(fixture.HostingServiceId)}", storage.Root);

        var grain = cluster.Client.GetGrain<IContainerProfileGrain>("through-container");
        var written = await grain.Set("shared container");
        var stat = await fixture.Raw.ExistsAsync(ClusterSetup.NodeOf(storage.Root, grain.GetGrainId(), "profile"));
        Assert.NotNull(stat);
        Assert.Equal(ZooKeeperGrainStorage.ETag(stat.Value), written.ETag);
        Assert.Equal(shared.Client.SessionId, storage.Container.Client.SessionId);
    }

    [Fact]
    public async Task The_provider_works_as_PubSubStore_for_memory_streams()
    {
        var cluster = await fixture.HostingClusterAsync();
        var pubsub = cluster.Services().GetRequiredKeyedService<IGrainStorage>("PubSubStore");
        var storage = Assert.IsType<ZooKeeperGrainStorage>(pubsub);

        var consumer = cluster.Client.GetGrain<IStreamConsumerGrain>("hosting-consumer");
        await consumer.Subscribe();
        var stream = cluster.Client.GetStreamProvider(ClusterSetup.StreamProvider).GetStream<int>(StreamId.Create(ClusterSetup.StreamNamespace, "hosting-consumer"));
        await stream.OnNextAsync(1);
        await stream.OnNextAsync(2);
        await TestWait.UntilAsync(async () => (await consumer.Received()).Count == 2, Timeout, "both events delivered");
        Assert.Equal([1, 2], await consumer.Received());

        // The subscription is in ZooKeeper. Orleans' own pub/sub state goes through the silo's default serializer
        // (System.Text.Json cannot round-trip its publisher records), marked as such: JSON with Orleans' type names.
        var nodes = await Znodes.DescendantsAsync(fixture.Raw, storage.Root);
        var states = new List<string>();
        foreach (var node in nodes.Where(n => n[(storage.Root.Length + 1)..].Count(c => c == '/') == 1))
        {
            states.Add(System.Text.Encoding.UTF8.GetString(Marks.After(Marks.Orleans, (await fixture.Raw.GetDataAsync(node)).Data)));
        }

        Assert.Contains(nodes, n => n.Contains("hosting-consumer", StringComparison.Ordinal));
        Assert.Contains(states, s => s.Contains("Orleans.Streams.PubSubGrainState", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_provider_with_credentials_in_a_silo_protects_its_nodes_and_the_password_is_not_in_the_silo_logs()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.SecureProvider);
        var grain = cluster.Client.GetGrain<ISecureProfileGrain>("secure-grain");
        await grain.Set("classified");
        var node = ClusterSetup.NodeOf(storage.Root, grain.GetGrainId(), "profile");
        await Assert.ThrowsAsync<NoAuthException>(async () => await fixture.Raw.GetDataAsync(node));
        Assert.Equal(new[] { new Acl(Permissions.All, ZooKeeperId.Digest(ClusterSetup.SecureUser, ClusterSetup.SecurePassword)) }, (await storage.Container.Client.GetAclAsync(node)).Acl);

        // The silo logged its options (ours included) at startup, and our components logged at Trace.
        var entries = ClusterSetup.SiloLogs.Entries.ToList();
        Assert.Contains(entries, e => e.Contains(nameof(ZooKeeperGrainStorageOptions), StringComparison.Ordinal) && e.Contains(ClusterSetup.SecureProvider, StringComparison.Ordinal) && e.Contains("Password", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains($"storage:{ClusterSetup.SecureProvider}", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.DoesNotContain(ClusterSetup.SecurePassword, e));
    }

    [Theory]
    [InlineData("container+url", "ContainerName ('shared') names an existing container")]
    [InlineData("user-only", "Username and Password go together")]
    [InlineData("unknown-container", "ContainerName 'nosuch' (ZooKeeperGrainStorageOptions.ContainerName) names no registered ZooKeeper container; registered containers: 'shared'.")]
    public async Task Invalid_options_fail_silo_startup_clearly_before_the_lifecycle_starts(string bad, string expected)
    {
        var all = await DeployFailureAsync<BadSilo>(bad);
        Assert.Contains("Invalid configuration for ZooKeeper grain storage 'bad'", all);
        Assert.Contains(expected, all);
    }

    [Theory]
    [InlineData("no-containers", "ContainerName 'missing' (ZooKeeperGrainStorageOptions.ContainerName) names no registered ZooKeeper container; registered containers: none.")]
    [InlineData("configured-container", "ContainerName 'missing' (configuration key 'Orleans:GrainStorage:bad:ContainerName') names no registered ZooKeeper container; registered containers: 'other', 'shared'.")]
    [InlineData("configured-serializer", "SerializerKey 'missing' (configuration key 'Orleans:GrainStorage:bad:SerializerKey') names no registered IGrainStorageSerializer; keyed serializers registered: ")]
    public async Task A_container_or_serializer_that_is_not_registered_is_named_with_what_is_registered(string bad, string expected)
    {
        var all = await DeployFailureAsync<UnregisteredSilo>(bad, (properties, url) =>
        {
            if (bad.StartsWith("configured-", StringComparison.Ordinal))
            {
                // The provider comes from configuration only.
                properties["Orleans:GrainStorage:bad:ProviderType"] = "ZooKeeper";
                properties[bad == "configured-container" ? "Orleans:GrainStorage:bad:ContainerName" : "Orleans:GrainStorage:bad:SerializerKey"] = "missing";
                if (bad == "configured-serializer")
                {
                    properties["Orleans:GrainStorage:bad:Url"] = url + "/own";
                }
            }
        });
        Assert.Contains("Invalid configuration for ZooKeeper grain storage 'bad': " + expected, all);
        Assert.DoesNotContain("No service for type", all);
        Assert.DoesNotContain(nameof(KeyNotFoundException), all);
        if (bad == "configured-serializer")
        {
            Assert.Contains($"'{ClusterSetup.MarkerSerializerKey}'", all);
            Assert.Contains("AddKeyedSingleton<IGrainStorageSerializer>(\"missing\"", all);
        }
        else
        {
            Assert.Contains("siloBuilder.AddZooKeeperContainer(\"missing\"", all);
        }
    }

    /// <summary>
    /// Deploys a one-silo cluster (configurator <typeparamref name="TSilo"/>, properties <c>bad</c> and <c>zk</c>, a
    /// fresh URL) that must fail to start with an <see cref="OrleansConfigurationException"/>, checks that the silo
    /// lifecycle never started (a container on <c>zk</c> would have created its path at RuntimeInitialize), and
    /// returns the whole failure as text.
    /// </summary>
    private async Task<string> DeployFailureAsync<TSilo>(string bad, Action<IDictionary<string, string?>, string>? properties = null)
        where TSilo : ISiloConfigurator, new()
    {
        var path = "/bad-" + Guid.NewGuid().ToString("N")[..8];
        var url = $"zookeeper://{fixture.Server.ConnectString}{path}";
        var builder = new TestClusterBuilder(1);
        builder.Properties["bad"] = bad;
        builder.Properties["zk"] = url;
        properties?.Invoke(builder.Properties, url);
        builder.AddSiloBuilderConfigurator<TSilo>();
        var cluster = builder.Build();
        try
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync());
            var all = ex.ToString();
            Assert.Contains(nameof(OrleansConfigurationException), all);
            Assert.Null(await fixture.Raw.ExistsAsync(path));
            return all;
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("container+url")]
    [InlineData("container+credentials")]
    [InlineData("user-only")]
    [InlineData("password-only")]
    [InlineData("empty-container")]
    [InlineData("max-size")]
    [InlineData("unknown-container")]
    public void The_validator_rejects_each_unworkable_combination(string bad)
    {
        var services = new ServiceCollection();
        services.AddZooKeeperGrainStorage("bad", o => BadSilo.Apply(o, bad, "zookeeper://127.0.0.1:1/x"));
        using var provider = services.BuildServiceProvider();
        var validator = Assert.Single(provider.GetServices<IConfigurationValidator>());
        var ex = Assert.Throws<OrleansConfigurationException>(validator.ValidateConfiguration);
        Assert.StartsWith("Invalid configuration for ZooKeeper grain storage 'bad': ", ex.Message);
        Assert.DoesNotContain("secret-password", ex.Message);
    }

    [Fact]
    public async Task Registration_by_name_and_as_default_on_both_builders()
    {
        var services = new ServiceCollection();
        services.AddZooKeeperGrainStorageAsDefault(o => o.Url = "zookeeper://127.0.0.1:1/x");
        services.AddZooKeeperGrainStorage("named", o => o.Url = "zookeeper://127.0.0.1:1/y");
        services.Configure<ClusterOptions>(o => o.ServiceId = "svc");
        services.AddLogging();
        await using var provider = services.BuildServiceProvider();
        Assert.IsType<ZooKeeperGrainStorage>(provider.GetRequiredService<IGrainStorage>());
        Assert.Same(provider.GetRequiredService<IGrainStorage>(), provider.GetRequiredKeyedService<IGrainStorage>("Default"));
        Assert.IsType<ZooKeeperGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("named"));
        Assert.NotSame(provider.GetRequiredKeyedService<IGrainStorage>("named"), provider.GetRequiredService<IGrainStorage>());
        Assert.Equal(2, provider.GetServices<ILifecycleParticipant<ISiloLifecycle>>().Count());
        Assert.Equal("zookeeper://127.0.0.1:1/y", provider.GetRequiredService<IOptionsMonitor<ZooKeeperGrainStorageOptions>>().Get("named").Url);
    }

    private sealed class BadSilo : ISiloConfigurator
    {
        public static void Apply(ZooKeeperGrainStorageOptions o, string bad, string url)
        {
            switch (bad)
            {
                case "container+url":
                    o.ContainerName = "shared";
                    o.Url = url;
                    break;
                case "container+credentials":
                    o.ContainerName = "shared";
                    o.Username = "u";
                    o.Password = "secret-password";
                    break;
                case "user-only":
                    o.Url = url;
                    o.Username = "u";
                    break;
                case "password-only":
                    o.Url = url;
                    o.Password = "secret-password";
                    break;
                case "empty-container":
                    o.ContainerName = string.Empty;
                    break;
                case "max-size":
                    o.Url = url;
                    o.MaxStateSize = 0;
                    break;
                case "unknown-container":
                    o.ContainerName = "nosuch";
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(bad), bad, null);
            }
        }

        public void Configure(ISiloBuilder siloBuilder)
        {
            var url = siloBuilder.Configuration["zk"]!;
            siloBuilder.AddZooKeeperContainer("shared", url);
            siloBuilder.AddZooKeeperGrainStorage("bad", o => Apply(o, siloBuilder.Configuration["bad"]!, url));
        }
    }

    private sealed class UnregisteredSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var bad = siloBuilder.Configuration["bad"]!;
            var url = siloBuilder.Configuration["zk"]!;
            siloBuilder.Services.AddKeyedSingleton<IGrainStorageSerializer>(ClusterSetup.MarkerSerializerKey, new MarkingSerializer());
            if (bad == "no-containers")
            {
                siloBuilder.AddZooKeeperGrainStorage("bad", o => o.ContainerName = "missing");
                return;
            }

            // Registered, and would connect (creating its path) if the silo lifecycle ran.
            siloBuilder.AddZooKeeperContainer("shared", url);
            siloBuilder.AddZooKeeperContainer("other", url + "/other");
        }
    }
}
