using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>Configuration from a ZooKeeper subtree: key mapping, reload through IOptionsMonitor, optional/required, errors.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfigurationTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    /// <summary>A configuration whose <c>zookeeper</c> section names the servers, then the ZooKeeper source.</summary>
    private ConfigurationManager Configuration(Action<ZooKeeperConfigurationSource> configure)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["zookeeper:servers"] = Servers, ["zookeeper:session_timeout"] = "4" });
        configuration.AddZooKeeper(configure);
        return configuration;
    }

    [Fact]
    public async Task A_subtree_becomes_configuration_keys_and_IOptionsMonitor_sees_changes()
    {
        var root = NewPath("config") + "/app";
        await using var writer = await ConnectAsync(Servers);
        await writer.CreateWithParentsAsync(root, Text("{\"Name\":\"shop\"}"));
        await writer.CreateWithParentsAsync(root + "/Logging/LogLevel/Default", Text("Warning"));
        await writer.CreateAsync(root + "/Database", Text("{\"Host\":\"db1\",\"Port\":5432,\"Tags\":[\"a\",\"b\"]}"));
        await writer.CreateAsync(root + "/Empty");

        using var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["zookeeper:servers"] = Servers });
        configuration.AddZooKeeper("zookeeper://" + root); // zookeeper:///config-…/app: servers from the section

        Assert.Equal("shop", configuration["Name"]);
        Assert.Equal("Warning", configuration["Logging:LogLevel:Default"]);
        Assert.Equal("db1", configuration["Database:Host"]);
        Assert.Equal("5432", configuration["Database:Port"]);
        Assert.Equal("b", configuration["Database:Tags:1"]);
        Assert.Equal(string.Empty, configuration["Empty"]);
        Assert.Null(configuration["Logging"]); // a node with children and no data only groups them

        await using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).Configure<DatabaseOptions>(configuration.GetSection("Database")).BuildServiceProvider();
        var monitor = services.GetRequiredService<IOptionsMonitor<DatabaseOptions>>();
        Assert.Equal(("db1", 5432), (monitor.CurrentValue.Host, monitor.CurrentValue.Port));
        var changes = new Recorder<DatabaseOptions>();
        using var subscription = monitor.OnChange((o, _) => changes.Add(null, o));

        await writer.SetDataAsync(root + "/Database", Text("{\"Host\":\"db2\",\"Port\":6543}"));
        await UntilAsync(() => monitor.CurrentValue.Host == "db2", "IOptionsMonitor sees the new host");
        Assert.Equal(6543, monitor.CurrentValue.Port);

        // The monitor recomputes CurrentValue before it calls its listeners: wait for the callback too.
        await UntilAsync(() => changes.Items.Any(o => o.Host == "db2"), "OnChange hears the new host");
        await writer.CreateAsync(root + "/Feature", Text("on"));
        await UntilAsync(() => configuration["Feature"] == "on", "a new node becomes a new key");
        Assert.Null(configuration["Database:Tags:0"]);
    }

    [Fact]
    public async Task Optional_starts_empty_and_fills_in_required_fails_clearly_when_the_root_or_the_servers_are_missing()
    {
        var root = NewPath("config");
        using (var optional = Configuration(s => (s.Url, s.Optional) = ("zookeeper://" + root, true)))
        {
            Assert.DoesNotContain(optional.AsEnumerable(), p => !p.Key.StartsWith("zookeeper", StringComparison.Ordinal));
            await using var writer = await ConnectAsync(Servers);
            await writer.CreateAsync(root);
            await writer.CreateAsync(root + "/Mode", Text("fast"));
            await UntilAsync(() => optional["Mode"] == "fast", "the optional configuration filled in");
        }

        var missing = NewPath("config");
        var error = Assert.Throws<ZooKeeperConfigurationException>(() => Configuration(s => s.Url = "zookeeper://" + missing));
        Assert.Contains($"the root node {missing} does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("mark the source optional", error.Message, StringComparison.Ordinal);

        var unreachable = Assert.Throws<ZooKeeperConfigurationException>(() => new ConfigurationManager().AddZooKeeper(s =>
        {
            s.Url = $"zookeeper://127.0.0.1:{FreePort.Next()}/config";
            s.StartupTimeout = TimeSpan.FromSeconds(1);
        }));
        Assert.Contains("could not read /config from 127.0.0.1:", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("Last connection attempt:", unreachable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreadable_nodes_fail_the_first_load_by_name_and_a_bad_change_keeps_the_last_good_configuration()
    {
        await using var writer = await ConnectAsync(Servers);
        async Task<string> TreeWith(string name, byte[] data, IReadOnlyList<Acl>? acl = null)
        {
            var root = NewPath("config");
            await writer.CreateAsync(root);
            await writer.CreateAsync(root + "/" + name, data, CreateMode.Persistent, acl);
            return root;
        }

        static string Url(string root) => "zookeeper://" + root;

        var badJson = await TreeWith("Secrets", Text("{\"Password\":\"hunter2\","));
        var error = Assert.Throws<ZooKeeperConfigurationException>(() => Configuration(s => s.Url = Url(badJson)));
        Assert.Contains($"node '{badJson}/Secrets' cannot be used: its data is not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);

        var notUtf8 = await TreeWith("Blob", [0xff, 0xfe, 0x00]);
        Assert.Contains("its data is not UTF-8 text", Assert.Throws<ZooKeeperConfigurationException>(() => Configuration(s => s.Url = Url(notUtf8))).Message, StringComparison.Ordinal);

        await writer.AddDigestAuthAsync("owner", "secret");
        var noRead = await TreeWith("Private", Text("x"), Acls.CreatorAll);
        Assert.Contains("it cannot be read: this session has no READ permission", Assert.Throws<ZooKeeperConfigurationException>(() => Configuration(s => s.Url = Url(noRead))).Message, StringComparison.Ordinal);

        var clash = await TreeWith("Db", Text("{\"Host\":\"x\"}"));
        await writer.CreateAsync(clash + "/Db/host", Text("y"));
        Assert.Contains("gives the configuration key 'Db:host'", Assert.Throws<ZooKeeperConfigurationException>(() => Configuration(s => s.Url = Url(clash))).Message, StringComparison.Ordinal);

        // After a good start, a bad change is reported and the last good configuration stays.
        var good = await TreeWith("Limit", Text("10"));
        var reported = new Recorder<Exception>();
        using var configuration = Configuration(s =>
        {
            s.Url = Url(good);
            s.OnReloadError = e => reported.Add(null, e);
        });
        Assert.Equal("10", configuration["Limit"]);
        await writer.CreateAsync(good + "/Broken", Text("[1,"));
        await UntilAsync(() => reported.Items.Count > 0, "the failed reload was reported");
        Assert.Contains($"'{good}/Broken'", reported.Items[0].Message, StringComparison.Ordinal);
        Assert.Equal("10", configuration["Limit"]);
        await writer.DeleteAsync(good + "/Broken");
        await writer.SetDataAsync(good + "/Limit", Text("20"));
        await UntilAsync(() => configuration["Limit"] == "20", "reloads resume once the data is good again");
    }

    public sealed class DatabaseOptions
    {
        public string Host { get; set; } = string.Empty;

        public int Port { get; set; }
    }
}
