using System.Text;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>The state size limit (checked before sending) and GZip compression.</summary>
[Collection(ServerCollection.Name)]
public sealed class SizeAndCompressionTests(ServerFixture fixture)
{
    /// <summary>A state whose default JSON is exactly <paramref name="bytes"/> long: {"Value":0,"Text":"xxx"}.</summary>
    private static TestState OfJsonSize(int bytes)
    {
        var overhead = Encoding.UTF8.GetByteCount("{\"Value\":0,\"Text\":\"\"}");
        return new TestState { Text = new string('x', bytes - overhead) };
    }

    private static string RandomText(int length, int seed)
    {
        var random = new Random(seed);
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = chars[r.Next(chars.Length)];
            }
        });
    }

    [Theory]
    [InlineData(1_100_000)]
    [InlineData(2 * 1024 * 1024)]
    public async Task A_state_over_the_default_limit_fails_before_anything_is_sent_and_the_connection_stays_healthy(int textLength)
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        var path = zk.PathFor(id, "state");
        var changes = new List<ConnectionStateChange>();
        zk.Client.StateChanged += (_, c) => { lock (changes) { changes.Add(c); } };
        var session = zk.Client.SessionId;

        // Nothing stored yet: a too-large first write creates nothing (not even parents).
        var huge = new TestState { Text = RandomText(textLength, 1) };
        var first = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, huge, null));
        Assert.Null(await fixture.Raw.ExistsAsync(zk.Root + "/" + ZNodeNames.Encode(id.Type.ToString()!)));

        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "small" }, null);
        var before = await fixture.Raw.GetDataAsync(path);
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, huge, etag));
        foreach (var message in new[] { first.Message, ex.Message })
        {
            Assert.Contains("over the limit", message);
            Assert.Contains("Nothing was sent", message);
            Assert.Contains(id.ToString(), message);
            Assert.Equal(zk.Name, StorageMessage.Parse(message).ProviderName);
            Assert.Contains("CompressState", message);
        }

        Assert.Equal(before.Stat, (await fixture.Raw.GetDataAsync(path)).Stat);
        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal("small", read.State.Text);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(session, zk.Client.SessionId);
        Assert.Equal(ConnectionState.Connected, zk.Client.State);
        lock (changes)
        {
            Assert.Empty(changes);
        }
    }

    [Fact]
    public async Task The_default_limit_is_exact_a_state_of_that_size_is_stored_by_create_and_by_a_conditional_write()
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.String("size", new string('k', 300));
        var path = zk.PathFor(id, "state");
        var limit = ZooKeeperClientOptions.DefaultMaxPacketSize - (2 * Encoding.UTF8.GetByteCount(path)) - 64 - ZooKeeperGrainStorageOptions.PacketOverhead;
        Assert.True(limit > 1_000_000);

        // The limit counts what is stored: the format mark and the JSON.
        var json = limit - Marks.Json.Length;
        var etag = await zk.WriteAsync(id, OfJsonSize(json), null);
        Assert.Equal(limit, (await fixture.Raw.ExistsAsync(path))!.Value.DataLength);
        var again = OfJsonSize(json);
        again.Value = 1;
        etag = await zk.WriteAsync(id, again, etag);
        await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, OfJsonSize(json + 1), etag));
        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(1, read.State.Value);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(ConnectionState.Connected, zk.Client.State);
    }

    [Fact]
    public async Task A_configured_MaxStateSize_is_honoured()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.MaxStateSize = 500);
        var id = Ids.Unique();
        var etag = await zk.WriteAsync(id, OfJsonSize(500), null);
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.WriteAsync(id, OfJsonSize(501), etag));
        Assert.Contains("501 bytes", ex.Message);
        Assert.Contains("limit of 500 bytes", ex.Message);
        Assert.Contains("MaxStateSize", ex.Message);
        Assert.Equal(OfJsonSize(500).Text, (await zk.ReadAsync<TestState>(id)).State.Text);
    }

    [Fact]
    public async Task With_CompressState_a_compressible_state_larger_than_the_limit_is_stored_compressed_and_read_back()
    {
        await using var zk = await fixture.StartStorageAsync(o => o.CompressState = true);
        var id = Ids.Unique();
        var big = new TestState { Value = 3, Text = string.Concat(Enumerable.Repeat("all work and no play ", 150_000)) };
        Assert.True(big.Text.Length > 3_000_000);
        var etag = await zk.WriteAsync(id, big, null);

        var raw = (await fixture.Raw.GetDataAsync(zk.PathFor(id, "state"))).Data;
        Assert.Equal(new byte[] { 0x1f, 0x8b }, Marks.After(Marks.JsonGzip, raw)[..2]);
        Assert.True(raw.Length < 100_000, $"{raw.Length} bytes stored");
        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(big.Text, read.State.Text);
        Assert.Equal(etag, read.ETag);

        // The same state without compression is refused.
        await using var plain = await fixture.StartStorageAsync(url: zk.Url, serviceId: zk.ServiceId);
        await Assert.ThrowsAsync<ZooKeeperStorageException>(() => plain.WriteAsync(id, big, etag));
    }

    [Fact]
    public async Task Compressed_and_uncompressed_nodes_are_read_by_providers_with_either_setting()
    {
        var url = fixture.NewUrl("gzip");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        await using var plain = await fixture.StartStorageAsync(url: url, serviceId: serviceId);
        await using var gzip = await fixture.StartStorageAsync(o => o.CompressState = true, url: url, serviceId: serviceId);
        Assert.Equal(plain.Root, gzip.Root);
        var a = Ids.Unique();
        var b = Ids.Unique();

        var etagA = await plain.WriteAsync(a, new TestState { Value = 1, Text = "plain" }, null);
        Assert.Equal((byte)'{', Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(plain.PathFor(a, "state"))).Data)[0]);
        var readA = await gzip.ReadAsync<TestState>(a);
        Assert.Equal("plain", readA.State.Text);
        Assert.Equal(etagA, readA.ETag);

        var etagB = await gzip.WriteAsync(b, new TestState { Value = 2, Text = "zipped" }, null);
        Assert.Equal(0x1f, Marks.After(Marks.JsonGzip, (await fixture.Raw.GetDataAsync(gzip.PathFor(b, "state"))).Data)[0]);
        var readB = await plain.ReadAsync<TestState>(b);
        Assert.Equal("zipped", readB.State.Text);
        Assert.Equal(etagB, readB.ETag);

        // And they carry on from each other's ETags.
        etagA = await gzip.WriteAsync(a, new TestState { Value = 3, Text = "now zipped" }, etagA);
        Assert.Equal("now zipped", (await plain.ReadAsync<TestState>(a)).State.Text);
        await plain.WriteAsync(b, new TestState { Value = 4, Text = "now plain" }, etagB);
        Assert.Equal("now plain", (await gzip.ReadAsync<TestState>(b)).State.Text);
    }
}
