using System.IO.Compression;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// Stored data says which serializer wrote it (and whether it is compressed), so reading never guesses; data written
/// before the mark existed still reads by the rules of that time.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FormatMarkingTests(ServerFixture fixture)
{
    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    [Fact]
    public async Task Unmarked_data_written_before_format_marking_still_reads_json_gzip_and_the_silo_serializers()
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.MainProvider);
        var silo = cluster.Services().GetRequiredService<IGrainStorageSerializer>();

        // As version 1 stored them: plain JSON, GZip-compressed JSON, and an Orleans type (then routed by its
        // assembly name to the silo's serializer), all without a mark.
        var plain = Ids.Unique("unmarked");
        var zipped = Ids.Unique("unmarked");
        var orleans = Ids.Unique("unmarked");
        var silos = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1234), 9);
        await fixture.Raw.CreateWithParentsAsync(storage.PathFor(plain, "s"), """{"Value":1,"Text":"plain"}"""u8.ToArray());
        await fixture.Raw.CreateWithParentsAsync(storage.PathFor(zipped, "s"), Gzip("""{"Value":2,"Text":"zipped"}"""u8.ToArray()));
        await fixture.Raw.CreateWithParentsAsync(storage.PathFor(orleans, "s"), silo.Serialize(silos).ToArray());

        var a = new GrainState<TestState>();
        await storage.ReadStateAsync("s", plain, a);
        Assert.Equal(("plain", 1), (a.State!.Text, a.State.Value));
        var b = new GrainState<TestState>();
        await storage.ReadStateAsync("s", zipped, b);
        Assert.Equal(("zipped", 2), (b.State!.Text, b.State.Value));
        var c = new GrainState<SiloAddress>();
        await storage.ReadStateAsync("s", orleans, c);
        Assert.Equal(silos, c.State);

        // Written again, each gets the mark of what writes it now: Orleans' SiloAddress as readable JSON.
        await storage.WriteStateAsync("s", orleans, c);
        Assert.Equal("\"127.0.0.1:1234@9\"", Encoding.UTF8.GetString(Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(storage.PathFor(orleans, "s"))).Data)));
        await storage.ReadStateAsync("s", orleans, c);
        Assert.Equal(silos, c.State);
    }

    [Fact]
    public async Task A_user_type_from_an_assembly_named_Orleans_Acme_is_stored_as_plain_json_not_by_the_silo_serializer()
    {
        // The rule before format marking sent every type from an assembly named Orleans.* to the silo's serializer.
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Storage(ClusterSetup.MainProvider);
        var acme = AcmeType();
        Assert.Equal("Orleans.Acme", acme.Assembly.GetName().Name);
        var state = Activator.CreateInstance(acme)!;
        acme.GetField("Value")!.SetValue(state, 42);
        var id = Ids.Unique("acme");

        var etag = await (Task<string?>)typeof(FormatMarkingTests).GetMethod(nameof(WriteReadAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(acme).Invoke(null, [storage, id, state])!;
        Assert.NotNull(etag);
        var stored = Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(storage.PathFor(id, "s"))).Data);
        Assert.Equal("""{"Value":42}""", Encoding.UTF8.GetString(stored));
    }

    private static async Task<string?> WriteReadAsync<T>(IGrainStorage storage, GrainId id, T state)
    {
        var written = new GrainState<T> { State = state };
        await storage.WriteStateAsync("s", id, written);
        var read = new GrainState<T>();
        await storage.ReadStateAsync("s", id, read);
        Assert.Equal(42, typeof(T).GetField("Value")!.GetValue(read.State));
        return read.ETag;
    }

    /// <summary>A public class with one public int field <c>Value</c>, in a dynamic assembly named Orleans.Acme.</summary>
    private static Type AcmeType()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Orleans.Acme"), AssemblyBuilderAccess.Run);
        var type = assembly.DefineDynamicModule("Orleans.Acme").DefineType("Orleans.Acme.Order", TypeAttributes.Public | TypeAttributes.Class | TypeAttributes.Sealed);
        type.DefineField("Value", typeof(int), FieldAttributes.Public);
        type.DefineDefaultConstructor(MethodAttributes.Public);
        return type.CreateType();
    }

    /// <summary>Writes 1F 8B (GZip's magic) before its JSON: data the GZip sniffing of version 1 misread.</summary>
    private sealed class MagicSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => new([0x1f, 0x8b, .. JsonSerializer.SerializeToUtf8Bytes(input)]);

        public T Deserialize<T>(BinaryData input)
        {
            var bytes = input.ToArray();
            Assert.Equal(new byte[] { 0x1f, 0x8b }, bytes[..2]);
            return JsonSerializer.Deserialize<T>(bytes.AsSpan(2))!;
        }
    }

    [Fact]
    public async Task A_custom_serializer_whose_output_starts_like_gzip_is_read_back_as_it_wrote_it()
    {
        var url = fixture.NewUrl("magic");
        await using var zk = await fixture.StartStorageAsync(url: url, name: "magic", services: s => s.AddKeyedSingleton<IGrainStorageSerializer>("magic", new MagicSerializer()));
        var id = Ids.Unique();
        var etag = await zk.WriteAsync(id, new TestState { Value = 8, Text = "not gzip" }, null);
        var stored = Marks.After(Marks.Custom, (await fixture.Raw.GetDataAsync(zk.PathFor(id, "state"))).Data);
        Assert.Equal(new byte[] { 0x1f, 0x8b }, stored[..2]);
        var read = await zk.ReadAsync<TestState>(id);
        Assert.Equal(("not gzip", 8, etag), (read.State.Text, read.State.Value, read.ETag));
    }

    [Fact]
    public async Task Marked_data_is_read_by_the_format_it_names_whatever_the_provider_is_configured_with_now()
    {
        var url = fixture.NewUrl("switch");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        await using var json = await fixture.StartStorageAsync(url: url, serviceId: serviceId, name: "json");
        await using var custom = await fixture.StartStorageAsync(url: url, serviceId: serviceId, name: "custom", services: s => s.AddKeyedSingleton<IGrainStorageSerializer>("custom", new MarkingSerializer()));
        var byJson = Ids.Unique();
        var byCustom = Ids.Unique();
        await json.WriteAsync(byJson, new TestState { Value = 1, Text = "json" }, null);
        await custom.WriteAsync(byCustom, new TestState { Value = 2, Text = "custom" }, null);

        // JSON data reads with a custom serializer configured: the mark says JSON.
        Assert.Equal("json", (await custom.ReadAsync<TestState>(byJson)).State.Text);

        // Custom data under the default serializer: a clear error instead of a guess.
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => json.ReadAsync<TestState>(byCustom));
        Assert.Contains("format custom", ex.Message);
        Assert.Contains("configure the serializer that wrote it", ex.Message);
        StorageMessage.Parse(ex.Message).For(json, byCustom, null, "ReadStateAsync");
    }

    [Theory]
    [InlineData("\u001Ezip\n{}", "the format 'zip'")]
    [InlineData("\u001Ejson", "no end of line")]
    [InlineData("\u001Ejson\n{\"Value\":", "format json")]
    [InlineData("\u001Ejson+gzip\nnot gzip", "format json+gzip")]
    public async Task Marked_data_that_does_not_read_names_its_mark_and_is_left_alone(string stored, string named)
    {
        await using var zk = await fixture.StartStorageAsync();
        var id = Ids.Unique();
        await zk.WriteAsync(id, new TestState { Value = 1 }, null);
        var path = zk.PathFor(id, "state");
        await fixture.Raw.SetDataAsync(path, Encoding.UTF8.GetBytes(stored));
        var ex = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.ReadAsync<TestState>(id));
        Assert.Contains(named, ex.Message);
        Assert.Contains("does not deserialize", ex.Message);
        Assert.Contains("untouched", ex.Message);
        Assert.Equal(Encoding.UTF8.GetBytes(stored), (await fixture.Raw.GetDataAsync(path)).Data);
    }
}
