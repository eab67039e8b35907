using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>What ends up in the znode, and what happens when it does not deserialize.</summary>
[Collection(ServerCollection.Name)]
public sealed class SerializerTests(ServerFixture fixture)
{
    public sealed class ProfileState
    {
        public string? Name { get; set; }

        public int Age { get; set; }

        public List<string> Tags { get; set; } = [];

        public Address? Home { get; set; }

        public Dictionary<string, double> Scores { get; set; } = [];
    }

    public sealed class Address
    {
        public string? City { get; set; }
    }

    /// <summary>Same shape as <see cref="ProfileState"/>, different name and namespace position.</summary>
    public sealed class RenamedProfile
    {
        public string? Name { get; set; }

        public int Age { get; set; }

        public List<string> Tags { get; set; } = [];
    }

    [Fact]
    public async Task The_default_stores_plain_json_without_type_or_assembly_names()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique("profiles");
        var profile = new ProfileState { Name = "Ada", Age = 36, Tags = ["math", "engines"], Home = new Address { City = "London" }, Scores = { ["x"] = 1.5 } };
        await zk.WriteAsync(id, profile, null);

        var raw = (await fixture.Raw.GetDataAsync(zk.PathFor(id, "state"))).Data;
        var text = Encoding.UTF8.GetString(raw);
        using var json = JsonDocument.Parse(raw);
        Assert.Equal("Ada", json.RootElement.GetProperty("Name").GetString());
        Assert.Equal(36, json.RootElement.GetProperty("Age").GetInt32());
        Assert.Equal("London", json.RootElement.GetProperty("Home").GetProperty("City").GetString());
        Assert.Equal(["math", "engines"], json.RootElement.GetProperty("Tags").EnumerateArray().Select(e => e.GetString()));
        foreach (var forbidden in new[] { "$type", "$id", "$values", nameof(ProfileState), nameof(Address), typeof(ProfileState).Namespace!, typeof(ProfileState).Assembly.GetName().Name!, "System.", "Version=", "PublicKeyToken" })
        {
            Assert.DoesNotContain(forbidden, text);
        }

        // Not tied to the class: another type of the same shape reads it.
        var renamed = await zk.ReadAsync<RenamedProfile>(id);
        Assert.True(renamed.RecordExists);
        Assert.Equal("Ada", renamed.State.Name);
        Assert.Equal(["math", "engines"], renamed.State.Tags);
    }

    [Fact]
    public async Task A_serializer_registered_under_the_provider_name_wins_and_others_are_not_affected()
    {
        var marking = new MarkingSerializer();
        var url = fixture.NewUrl("ser");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        await using var zk = await fixture.StartStorageAsync(url: url, serviceId: serviceId, name: "marked", services: s =>
        {
            s.AddKeyedSingleton<IGrainStorageSerializer>("marked", marking);
            s.AddKeyedSingleton<IGrainStorageSerializer>("someone-else", new ZooKeeperJsonGrainStorageSerializer());
        });
        await using var plain = await fixture.StartStorageAsync(url: url, serviceId: serviceId, name: "plain", services: s => s.AddKeyedSingleton<IGrainStorageSerializer>("marked", marking));

        var id = Ids.Unique();
        await zk.WriteAsync(id, new TestState { Value = 5, Text = "marked" }, null, "m");
        Assert.True((await fixture.Raw.GetDataAsync(zk.PathFor(id, "m"))).Data.AsSpan().StartsWith(MarkingSerializer.Marker));
        Assert.Equal(5, (await zk.ReadAsync<TestState>(id, "m")).State.Value);
        Assert.Equal(2, marking.Calls);

        await plain.WriteAsync(id, new TestState { Value = 6 }, null, "p");
        Assert.Equal((byte)'{', (await fixture.Raw.GetDataAsync(plain.PathFor(id, "p"))).Data[0]);
        Assert.Equal(2, marking.Calls);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("\"a string, not an object\"")]
    [InlineData("{\"Value\":\"not a number\"}")]
    [InlineData("\u001f\u008bgarbage that is not gzip")]
    public async Task Data_that_does_not_deserialize_gives_a_clear_exception_naming_the_node_and_leaves_it_untouched(string content)
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var bytes = content.StartsWith('\u001f') ? [0x1f, 0x8b, .. Encoding.UTF8.GetBytes(content[2..])] : Encoding.UTF8.GetBytes(content);
        await fixture.Raw.SetDataAsync(path, bytes);
        var before = await fixture.Raw.GetDataAsync(path);

        var state = new GrainState<TestState> { State = new TestState { Value = 77 }, ETag = etag, RecordExists = true };
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.GrainStorage.ReadStateAsync("state", id, state));
        Assert.Contains(path, ex.Message);
        Assert.Contains($"'{zk.Name}'", ex.Message);
        Assert.Contains(id.ToString(), ex.Message);
        Assert.Contains(typeof(TestState).FullName!, ex.Message);
        Assert.Contains("untouched", ex.Message);
        Assert.NotNull(ex.InnerException);
        Assert.Equal(77, state.State.Value);
        Assert.Equal(etag, state.ETag);

        var after = await fixture.Raw.GetDataAsync(path);
        Assert.Equal(before.Data, after.Data);
        Assert.Equal(before.Stat, after.Stat);
    }
}
