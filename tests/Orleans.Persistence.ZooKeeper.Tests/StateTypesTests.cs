using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// Every kind of state round-trips through the default serializer as JSON readable with zkCli — grain references,
/// Orleans' ids and runtime types, records, structs, polymorphic hierarchies, collections — and whatever it could not
/// give back as written is refused at write time, naming the type and the member, with nothing stored.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class StateTypesTests(ServerFixture fixture)
{
    /// <summary>Writes <paramref name="state"/> through the silo's "zookeeper" provider, reads it back, and returns what was read and the stored JSON.</summary>
    private async Task<(T Read, JsonElement Json, string Text)> RoundTripAsync<T>(T state)
    {
        var cluster = await fixture.HostingClusterAsync();
        var storage = cluster.Services().GetRequiredKeyedService<IGrainStorage>(ClusterSetup.MainProvider);
        var id = Ids.Unique("statetypes");
        var written = new GrainState<T> { State = state };
        await storage.WriteStateAsync("s", id, written);
        var read = new GrainState<T>();
        await storage.ReadStateAsync("s", id, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        var raw = Marks.After(Marks.Json, (await fixture.Raw.GetDataAsync(cluster.Storage(ClusterSetup.MainProvider).PathFor(id, "s"))).Data);
        return (read.State!, JsonDocument.Parse(raw).RootElement.Clone(), Encoding.UTF8.GetString(raw));
    }

    [Fact]
    public async Task Grain_references_of_every_declared_kind_round_trip_as_their_grain_ids()
    {
        var cluster = await fixture.HostingClusterAsync();
        var grains = cluster.Services().GetRequiredService<IGrainFactory>();
        var alice = grains.GetGrain<IStringProfileGrain>("alice");
        var bob = grains.GetGrain<IStringProfileGrain>("bob");
        var other = grains.GetGrain<IGuidProfileGrain>(Guid.Parse("2b1a3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"));
        var numbered = grains.GetGrain<ILongProfileGrain>(42);
        var state = new ReferencesState
        {
            Friend = alice,
            Other = other,
            Untyped = (GrainReference)(object)bob,
            Addressable = numbered,
            KeyKind = alice,
            Base = bob,
            Many = [alice, bob],
            ByName = { ["n"] = numbered },
            Field1 = new Holder { GrainValue = bob },
        };

        var (read, json, text) = await RoundTripAsync(state);

        // Readable: a reference whose member type is its own interface is its grain id; otherwise the id and interface.
        Assert.Equal(alice.GetGrainId().ToString(), json.GetProperty("Friend").GetString());
        Assert.Equal(bob.GetGrainId().ToString(), json.GetProperty("Field1").GetProperty("GrainValue").GetString());
        Assert.Equal(bob.GetGrainId().ToString(), json.GetProperty("Untyped").GetProperty("GrainId").GetString());
        Assert.Contains(nameof(IStringProfileGrain), json.GetProperty("Untyped").GetProperty("Interface").GetString());
        Assert.Contains(nameof(IStringProfileGrain), json.GetProperty("Base").GetProperty("Interface").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("Nobody").ValueKind);
        Assert.DoesNotContain("$type", text);

        // And back: the same grains, with interfaces to call them through.
        Assert.Equal(alice.GetGrainId(), read.Friend!.GetGrainId());
        Assert.Equal(other.GetGrainId(), read.Other!.GetGrainId());
        Assert.Equal(bob.GetGrainId(), read.Untyped!.GetGrainId());
        Assert.Equal(numbered.GetGrainId(), read.Addressable!.GetGrainId());
        Assert.Equal(alice.GetGrainId(), read.KeyKind!.GetGrainId());
        Assert.IsAssignableFrom<IStringProfileGrain>(read.KeyKind);
        Assert.IsAssignableFrom<IStringProfileGrain>(read.Base);
        Assert.IsAssignableFrom<IStringProfileGrain>(read.Untyped);
        Assert.IsAssignableFrom<ILongProfileGrain>(read.Addressable);
        Assert.Null(read.Nobody);
        Assert.Equal([alice.GetGrainId(), bob.GetGrainId()], read.Many.Select(g => g.GetGrainId()));
        Assert.Equal(numbered.GetGrainId(), read.ByName["n"].GetGrainId());
        Assert.Equal(bob.GetGrainId(), read.Field1.GrainValue!.GetGrainId());

        // The references work: a call through one read back from storage reaches the grain.
        await cluster.Client.GetGrain<IStringProfileGrain>("alice").Set("written before");
        Assert.Equal("written before", (await read.Friend!.Get()).State.Name);
        Assert.Equal("written before", (await ((IStringProfileGrain)read.KeyKind!).Get()).State.Name);
    }

    [Fact]
    public async Task Orleans_ids_and_runtime_types_round_trip_as_readable_text()
    {
        var silo = SiloAddress.New(new IPEndPoint(IPAddress.Parse("10.0.0.5"), 11111), 4711);
        var grainId = GrainId.Create("profile", "alice");
        var state = new OrleansIdsState
        {
            Id = grainId,
            MaybeId = GrainId.Create("other", "k/with/slashes"),
            Type = GrainType.Create("profile"),
            Key = IdSpan.Create("alice"),
            Interface = GrainInterfaceType.Create("IProfileGrain"),
            Silo = silo,
            Activation = ActivationId.NewId(),
            Version = new MembershipVersion(17),
            Unique = UniqueKey.NewKey(),
            Stream = StreamId.Create("namespace", "key"),
            Frozen = new Immutable<List<int>>([1, 2, 3]),
            Counts = { [grainId] = 3 },
            Silos = [silo, SiloAddress.New(new IPEndPoint(IPAddress.IPv6Loopback, 30000), 1)],
        };

        var (read, json, _) = await RoundTripAsync(state);

        Assert.Equal("profile/alice", json.GetProperty("Id").GetString());
        Assert.Equal("profile", json.GetProperty("Type").GetString());
        Assert.Equal("alice", json.GetProperty("Key").GetString());
        Assert.Equal("IProfileGrain", json.GetProperty("Interface").GetString());
        Assert.Equal("10.0.0.5:11111@4711", json.GetProperty("Silo").GetString());
        Assert.Equal(17, json.GetProperty("Version").GetInt64());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("Frozen").ValueKind);
        Assert.Equal(3, json.GetProperty("Counts").GetProperty("profile/alice").GetInt32());

        Assert.Equal(state.Id, read.Id);
        Assert.Equal(state.MaybeId, read.MaybeId);
        Assert.Equal(state.Type, read.Type);
        Assert.Equal(state.Key, read.Key);
        Assert.Equal(state.Interface, read.Interface);
        Assert.Equal(state.Silo, read.Silo);
        Assert.Equal(state.Activation, read.Activation);
        Assert.Equal(state.Version, read.Version);
        Assert.Equal(state.Unique, read.Unique);
        Assert.Equal(state.Stream, read.Stream);
        Assert.Equal([1, 2, 3], read.Frozen.Value);
        Assert.Equal(3, read.Counts[grainId]);
        Assert.Equal(state.Silos, read.Silos);
    }

    [Fact]
    public async Task Records_structs_polymorphic_hierarchies_and_collections_round_trip()
    {
        var record = new PlainRecord(
            "Ada", 36, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), Guid.NewGuid(), 12.34m, TimeSpan.FromMinutes(90), DayOfWeek.Friday,
            [1, 2, 3], ["x", "y"], new Dictionary<string, double> { ["pi"] = 3.14 })
        {
            Home = new Uri("https://example.com/ada"),
            Blob = [0, 1, 255],
        };
        var (readRecord, _, _) = await RoundTripAsync(record);
        Assert.Equal(record.Name, readRecord.Name);
        Assert.Equal(record.When, readRecord.When);
        Assert.Equal(record.Id, readRecord.Id);
        Assert.Equal(record.Money, readRecord.Money);
        Assert.Equal(record.Span, readRecord.Span);
        Assert.Equal(record.Day, readRecord.Day);
        Assert.Equal(record.Numbers, readRecord.Numbers);
        Assert.Equal(record.Tags, readRecord.Tags);
        Assert.Equal(record.Scores, readRecord.Scores);
        Assert.Equal(record.Home, readRecord.Home);
        Assert.Equal(record.Blob, readRecord.Blob);

        var shapes = new ShapesState
        {
            Shapes = [new Circle { Label = "c", Radius = 2 }, new Square { Label = "s", Side = 3 }],
            Main = new Square { Side = 1 },
            Origin = new PointStruct { X = 1, Y = -1 },
            MaybePoint = new PointStruct { X = 5 },
            Text = "ünïcödé ✓",
            Nested = { ["a"] = [new Dictionary<string, int> { ["b"] = 1 }] },
            Set = ["one", "two"],
            Queue = new Queue<int>([3, 1, 2]),
            Sorted = { [2] = "two", [1] = "one" },
            Tuple = (7, "seven"),
        };
        var (read, json, _) = await RoundTripAsync(shapes);
        Assert.Equal("circle", json.GetProperty("Shapes")[0].GetProperty("$type").GetString());
        Assert.Equal(2, ((Circle)read.Shapes[0]).Radius);
        Assert.Equal(3, ((Square)read.Shapes[1]).Side);
        Assert.IsType<Square>(read.Main);
        Assert.Equal(1, read.Origin.X);
        Assert.Equal(-1, read.Origin.Y);
        Assert.Equal(5, read.MaybePoint!.Value.X);
        Assert.Null(read.Nothing);
        Assert.Equal(shapes.Text, read.Text);
        Assert.Equal(1, read.Nested["a"][0]["b"]);
        Assert.True(read.Set.SetEquals(["one", "two"]));
        Assert.Equal([3, 1, 2], read.Queue);
        Assert.Equal(shapes.Sorted, read.Sorted);
        Assert.Equal((7, "seven"), read.Tuple);

        // Generic and primitive states too.
        Assert.Equal("text", (await RoundTripAsync("text")).Read);
        Assert.Equal(42, (await RoundTripAsync(42)).Read);
        Assert.Equal([1, 2], (await RoundTripAsync(new List<int> { 1, 2 })).Read);
        Assert.Equal(7, (await RoundTripAsync(new GenericState<int> { Value = 7 })).Read.Value);
    }

    public static TheoryData<string> RefusedCases => new(Refused.Keys);

    /// <summary>A state the default serializer cannot give back as written, and what the error must name.</summary>
    private static readonly Dictionary<string, (Func<IStorageCase> Make, string[] Named)> Refused = new()
    {
        ["a member declared as object"] = (() => new StorageCase<ObjectMemberState>(new ObjectMemberState { Anything = 5 }), [typeof(ObjectMemberState).FullName! + ".Anything", "declared as object"]),
        ["an interface member"] = (() => new StorageCase<InterfaceMemberState>(new InterfaceMemberState { Comparable = 5 }), [typeof(InterfaceMemberState).FullName! + ".Comparable", "System.IComparable", "an interface"]),
        ["an abstract member"] = (() => new StorageCase<AbstractMemberState>(new AbstractMemberState()), [typeof(AbstractMemberState).FullName! + ".Pet", typeof(Animal).FullName!, "abstract class"]),
        ["a read-only collection"] = (() => new StorageCase<ReadOnlyCollectionState>(new ReadOnlyCollectionState { Items = { "lost" } }), [typeof(ReadOnlyCollectionState).FullName! + ".Items", "read-only"]),
        ["a private member the Orleans serializer keeps"] = (() => new StorageCase<PrivateIdFieldState>(new PrivateIdFieldState()), [typeof(PrivateIdFieldState).FullName! + "._count", "[Id]"]),
        ["a constructor parameter matching no member"] = (() => new StorageCase<UnbindableConstructorState>(new UnbindableConstructorState(3)), [typeof(UnbindableConstructorState).FullName!, "constructor parameter 'seed'"]),
        ["a subclass held as its base"] = (() => new StorageCase<BaseState>(new DerivedState { A = 1, B = 2 }), [typeof(DerivedState).FullName!, "held as " + typeof(BaseState).FullName]),
        ["a loss deep inside collections"] = (() => new StorageCase<NestedLossState>(new NestedLossState()), [typeof(Inner).FullName! + ".Bag", "$.Inners[].Bag{}", "declared as object"]),
    };

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public async Task A_state_the_default_serializer_cannot_give_back_is_refused_at_write_time_naming_type_and_member(string name)
    {
        await using var zk = await fixture.StartStorageAsync();
        var (make, named) = Refused[name];
        var id = Ids.Unique("refused");
        var ex = await make().WriteAsync(zk, id);
        StorageMessage.Parse(ex.Message).For(zk, id, null, "WriteStateAsync");
        foreach (var fragment in named)
        {
            Assert.Contains(fragment, ex.Message);
        }

        Assert.Contains("Nothing was sent", ex.Message);
        Assert.IsType<NotSupportedException>(ex.InnerException);
        Assert.Null(await fixture.Raw.ExistsAsync(zk.PathFor(id, "state")));
    }

    private interface IStorageCase
    {
        Task<ZooKeeperStorageException> WriteAsync(StorageHandle zk, GrainId id);
    }

    private sealed class StorageCase<T>(T state) : IStorageCase
    {
        public Task<ZooKeeperStorageException> WriteAsync(StorageHandle zk, GrainId id)
            => Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.GrainStorage.WriteStateAsync("state", id, new GrainState<T> { State = state }));
    }
}
