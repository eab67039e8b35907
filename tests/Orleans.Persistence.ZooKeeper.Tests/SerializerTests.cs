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

        // The format mark, then the JSON: zkCli shows "json" on a line of its own above it.
        var raw = Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(zk.PathFor(id, "state"))).Data);
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
        Assert.True(Marks.After(Marks.Custom, (await fixture.Raw.GetDataAsync(zk.PathFor(id, "m"))).Data).AsSpan().StartsWith(MarkingSerializer.Marker));
        Assert.Equal(5, (await zk.ReadAsync<TestState>(id, "m")).State.Value);
        Assert.Equal(2, marking.Calls);

        await plain.WriteAsync(id, new TestState { Value = 6 }, null, "p");
        Assert.Equal((byte)'{', Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(plain.PathFor(id, "p"))).Data)[0]);
        Assert.Equal(2, marking.Calls);
    }

    /// <summary>Stored bytes that are not a <see cref="TestState"/>, by case name.</summary>
    private static readonly Dictionary<string, byte[]> BadData = new()
    {
        ["garbage"] = "{not json"u8.ToArray(),
        ["wrong shape: a string for an object"] = "\"a string, not an object\""u8.ToArray(),
        ["wrong shape: an array for an object"] = "[1,2,3]"u8.ToArray(),
        ["wrong shape: a string for a number"] = "{\"Value\":\"not a number\"}"u8.ToArray(),
        ["wrong shape: an object for a number"] = "{\"Value\":{\"nested\":1}}"u8.ToArray(),
        ["gzip magic then garbage"] = [0x1f, 0x8b, .. "garbage that is not gzip"u8.ToArray()],
        ["gzip cut short"] = Gzip("{\"Value\":1,\"Text\":\"a longer text so the stream has a body\"}")[..20],
        ["gzip of garbage"] = Gzip("{not json"),
    };

    public static TheoryData<string> BadDataCases => new(BadData.Keys);

    /// <summary>JSON null in every form a node can hold it.</summary>
    private static readonly Dictionary<string, byte[]> NullData = new()
    {
        ["null"] = "null"u8.ToArray(),
        ["null with whitespace"] = " null\n"u8.ToArray(),
        ["gzip of null"] = Gzip("null"),
    };

    public static TheoryData<string> NullDataCases => new(NullData.Keys);

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(BadDataCases))]
    public async Task Data_that_does_not_deserialize_gives_a_clear_exception_naming_the_node_and_leaves_it_untouched(string content)
    {
        var ex = await ReadRefusedAsync(BadData[content]);
        Assert.Contains("does not deserialize", ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Theory]
    [MemberData(nameof(NullDataCases))]
    public async Task A_node_holding_JSON_null_is_refused_like_undeserializable_data_not_read_as_a_null_state(string content)
    {
        // Written by an outside client or an older serializer: not a record without a state (the grain would fail
        // far from the cause with a NullReferenceException), but an error naming the node.
        var ex = await ReadRefusedAsync(NullData[content]);
        Assert.Contains("deserializes to null", ex.Message);
        Assert.Contains("write a valid state to it, or delete it", ex.Message);
        Assert.Contains(content.StartsWith("gzip", StringComparison.Ordinal) ? "bytes, unmarked (written before format marking), GZip, stored ETag" : $"({NullData[content].Length} bytes, unmarked (written before format marking), stored ETag", ex.Message);
    }

    /// <summary>
    /// Puts <paramref name="bytes"/> into a written state's node behind the provider's back, reads it, and checks the
    /// read fails with a storage exception naming the node, provider, grain and type, and changes neither the node
    /// nor the grain state.
    /// </summary>
    private async Task<ZooKeeperStorageException> ReadRefusedAsync(byte[] bytes)
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        await fixture.Raw.SetDataAsync(path, bytes);
        var before = await fixture.Raw.GetDataAsync(path);

        var state = new GrainState<TestState> { State = new TestState { Value = 77 }, ETag = etag, RecordExists = true };
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.GrainStorage.ReadStateAsync("state", id, state));
        Assert.Contains(path, ex.Message);
        StorageMessage.Parse(ex.Message).For(zk, id, etag, "ReadStateAsync");
        Assert.Contains(typeof(TestState).FullName!, ex.Message);
        Assert.Contains("untouched", ex.Message);
        Assert.Equal(77, state.State.Value);
        Assert.Equal(etag, state.ETag);
        Assert.True(state.RecordExists);

        var after = await fixture.Raw.GetDataAsync(path);
        Assert.Equal(before.Data, after.Data);
        Assert.Equal(before.Stat, after.Stat);
        return ex;
    }

    [Fact]
    public async Task A_null_state_is_refused_before_anything_is_sent()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");

        var first = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync<TestState?>(id, null, null));
        Assert.Null(await fixture.Raw.ExistsAsync(zk.Root + "/" + ZNodeNames.Encode(id.Type.ToString()!)));

        var etag = await zk.WriteAsync(id, new TestState { Value = 4 }, null);
        var before = await fixture.Raw.GetDataAsync(path);
        var second = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync<TestState?>(id, null, etag));
        foreach (var ex in new[] { first, second })
        {
            Assert.Contains("is null", ex.Message);
            Assert.Contains("Nothing was sent", ex.Message);
            Assert.Contains(id.ToString(), ex.Message);
        }

        StorageMessage.Parse(second.Message).For(zk, id, etag, "WriteStateAsync");
        StorageMessage.Parse(first.Message).For(zk, id, null, "WriteStateAsync");
        var after = await fixture.Raw.GetDataAsync(path);
        Assert.Equal(before.Stat, after.Stat);
        Assert.Equal(4, (await zk.ReadAsync<TestState>(id)).State.Value);
    }
}
