using System.Text;
using System.Text.RegularExpressions;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Grain types, keys and state names of any shape map to distinct znodes under the provider root.</summary>
[Collection(ServerCollection.Name)]
public sealed partial class KeyEncodingTests(ServerFixture fixture)
{
    [GeneratedRegex("^[A-Za-z0-9_%-]+$")]
    private static partial Regex EncodedName();

    /// <summary>An encoded name, or two joined by '.' (a state node: key and state name).</summary>
    [GeneratedRegex("^[A-Za-z0-9_%-]+(\\.[A-Za-z0-9_%-]+)?$")]
    private static partial Regex EncodedStateName();

    public static readonly string[] AwkwardKeys =
    [
        "plain", "a/b", "/", "//", "/leading", "trailing/", ".", "..", "../..", "../../escape", "a/../b", "./x",
        " ", "  spaced  key ", "\t", "日本語", "émoji 😀", "e\u0301", "\u00e9", "%", "%25", "%2F", "%%", "a.b", "A", "a",
        "+", "key+ext", "\0nul", "zookeeper", "guard", new string('k', 2000), string.Concat(Enumerable.Repeat("/..", 700)),
    ];

    [Fact]
    public async Task Awkward_keys_types_and_state_names_round_trip_and_land_in_distinct_nodes_under_the_root()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var guid = Guid.Parse("7d4f3a5e-0c1b-4f7e-9a2d-3b8c6e1f0a95");
        var targets = new List<(GrainId Id, string StateName)>();
        targets.AddRange(AwkwardKeys.Select(k => (Ids.String("strings", k), "state")));
        targets.AddRange(
        [
            (Ids.Guid("guids", guid), "state"),
            (Ids.Guid("guids", Guid.Empty), "state"),
            (Ids.Long("longs", 0), "state"),
            (Ids.Long("longs", -1), "state"),
            (Ids.Long("longs", long.MaxValue), "state"),
            (Ids.Long("longs", long.MinValue), "state"),
            (Ids.GuidCompound("guidcompound", guid, "ext/.."), "state"),
            (Ids.GuidCompound("guidcompound", guid, "other ext"), "state"),
            (Ids.LongCompound("longcompound", 5, "ext"), "state"),
            (Ids.LongCompound("longcompound", 5, "日本"), "state"),
            (Ids.String("generic`1[[System.String,System.Private.CoreLib]]", "g"), "state"),
            (Ids.String("generic`2[[System.Int32],[My.Type+Nested, My.Assembly]]", "g"), "state"),
            (Ids.String("generic`1[[System.String,System.Private.CoreLib]]", "g"), "second state"),

            // Would be the same path without encoding: key "a/b" + state "s" versus key "a" + state "b/s".
            (Ids.String("collide", "a/b"), "s"),
            (Ids.String("collide", "a"), "b/s"),
            (Ids.String("collide", "a"), ".."),
            (Ids.String("collide", "a"), "."),
        ]);
        Assert.Equal(targets.Count, targets.Distinct().Count());

        var etags = new Dictionary<(GrainId, string), string>();
        for (var i = 0; i < targets.Count; i++)
        {
            var (id, stateName) = targets[i];
            etags[(id, stateName)] = await zk.WriteAsync(id, new TestState { Value = i, Text = id.Key.ToString() }, null, stateName);
        }

        for (var i = 0; i < targets.Count; i++)
        {
            var (id, stateName) = targets[i];
            var read = await zk.ReadAsync<TestState>(id, stateName);
            Assert.True(read.RecordExists, $"{id} / {stateName}");
            Assert.Equal(i, read.State.Value);
            Assert.Equal(id.Key.ToString(), read.State.Text);
            Assert.Equal(etags[(id, stateName)], read.ETag);
        }

        // Everything is below the root; each state node ({type}/{key}.{state name}) decodes back to its (type, key,
        // state name), and there is exactly one node per target plus its guard: two znodes per state.
        var basePath = zk.Storage.Container.BasePath;
        Assert.Equal(new[] { ZNodeNames.Encode(zk.ServiceId) }, await fixture.Raw.GetChildrenAsync(basePath));
        var nodes = await Znodes.DescendantsAsync(fixture.Raw, zk.Root);
        var relative = nodes.Where(n => n != zk.Root + "/layout.v2").Select(n => n[(zk.Root.Length + 1)..].Split('/')).ToList();
        Assert.All(relative, segments => Assert.All(segments, s => Assert.Matches(EncodedStateName(), s)));
        var stateNodes = relative.Where(s => s.Length == 2).Select(s => s[1].Split('.')).ToList();
        Assert.All(stateNodes, parts => Assert.Equal(2, parts.Length));
        var decoded = relative.Where(s => s.Length == 2).Select(s => (Type: ZNodeNames.Decode(s[0]), Key: ZNodeNames.Decode(s[1].Split('.')[0]), State: ZNodeNames.Decode(s[1].Split('.')[1]))).ToHashSet();
        var expected = targets.Select(t => (Type: t.Id.Type.ToString()!, Key: t.Id.Key.ToString()!, State: t.StateName)).ToHashSet();
        Assert.Equal(expected.Count, decoded.Count);
        Assert.True(expected.SetEquals(decoded));
        Assert.Equal(targets.Count, relative.Count(s => s.Length == 3));
        Assert.True(relative.All(s => s.Length <= 3));
        foreach (var (id, stateName) in targets)
        {
            var path = zk.PathFor(id, stateName);
            Assert.StartsWith(zk.Root + "/", path);
            Assert.Equal(1, (await fixture.Raw.ExistsAsync(path))!.Value.NumChildren);
        }

        // Clearing each one removes exactly its own node and guard; the grain type nodes are container nodes, which
        // the server removes once their last state is gone.
        foreach (var (id, stateName) in targets)
        {
            Assert.Null(await zk.ClearAsync<TestState>(id, etags[(id, stateName)], stateName));
        }

        var depth = zk.Root.Count(c => c == '/');
        Assert.DoesNotContain(await Znodes.DescendantsAsync(fixture.Raw, zk.Root), n => n.Count(c => c == '/') - depth >= 2);
        await TestWait.UntilAsync(
            async () => (await fixture.Raw.GetChildrenAsync(zk.Root)).SequenceEqual(["layout.v2"]),
            TimeSpan.FromSeconds(30),
            "the empty grain type nodes are removed by the server");
    }

    [Fact]
    public void Encode_and_Decode_round_trip_on_random_strings_and_names_are_single_valid_znode_names()
    {
        var random = new Random(20240611);
        var pools = new[]
        {
            "abcXYZ019-_",
            "/.%+ :*?\\\"'<>|\t\r\n\0~!@#$^&()[]{}`,;=",
            "äöüßéèçñåøæ",
            "日本語中文한국어",
            "\u0301\u200b\ufeff\u202e\uffff\ufffd",
        };
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 5000; i++)
        {
            var length = random.Next(0, i % 100 == 0 ? 600 : 24);
            var sb = new StringBuilder(length);
            for (var j = 0; j < length; j++)
            {
                switch (random.Next(12))
                {
                    case 0:
                        // Outside the BMP: a surrogate pair in UTF-16, four bytes in UTF-8.
                        sb.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF + 1)));
                        break;
                    case 1:
                        sb.Append((char)random.Next(0x20, 0xD7FF));
                        break;
                    default:
                        var pool = pools[random.Next(pools.Length)];
                        sb.Append(pool[random.Next(pool.Length)]);
                        break;
                }
            }

            var value = sb.ToString();
            var name = ZNodeNames.Encode(value);
            Assert.Equal(value, ZNodeNames.Decode(name));
            Assert.Matches(EncodedName(), name);
            Assert.NotEqual(".", name);
            Assert.NotEqual("..", name);
            Assert.Null(ZooKeeperPath.GetError("/root/" + name, false));
            Assert.Equal(name, ZNodeNames.Encode(ZNodeNames.Decode(name)));
            if (seen.TryGetValue(name, out var other))
            {
                Assert.Equal(other, value);
            }

            seen[name] = value;
        }

        Assert.Equal("%", ZNodeNames.Encode(string.Empty));
        Assert.Equal(string.Empty, ZNodeNames.Decode("%"));
        Assert.Equal("a%2Fb", ZNodeNames.Encode("a/b"));
        Assert.Equal("%2E%2E", ZNodeNames.Encode(".."));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("%")]
    [InlineData("%%")]
    [InlineData("%2")]
    [InlineData("a%")]
    [InlineData("%2f")]
    [InlineData("%G1")]
    [InlineData("%C3")]
    [InlineData("%41")]
    [InlineData("%2D")]
    [InlineData("x y")]
    [InlineData("é")]
    public void Decode_rejects_names_that_Encode_never_makes(string name)
    {
        if (name == "%")
        {
            // The one special case: the empty string.
            Assert.Equal(string.Empty, ZNodeNames.Decode(name));
            return;
        }

        Assert.Throws<FormatException>(() => ZNodeNames.Decode(name));
    }

    [Fact]
    public void Encode_rejects_strings_that_are_not_valid_UTF16_rather_than_mapping_them_onto_other_names()
    {
        // UTF-8 would turn every lone surrogate into U+FFFD: distinct inputs, one name. (Not InlineData: the test
        // case serializer itself would replace lone surrogates.)
        foreach (var value in new[] { "\ud800", "a\udc00b", "\ude00\ud83d", "ok\ud83d" })
        {
            var ex = Assert.Throws<ArgumentException>(() => ZNodeNames.Encode(value));
            Assert.Contains("surrogate", ex.Message);
        }

        Assert.Equal("%EF%BF%BD", ZNodeNames.Encode("\ufffd"));
        Assert.Equal("%F0%9F%98%80", ZNodeNames.Encode("\ud83d\ude00"));
    }
}
