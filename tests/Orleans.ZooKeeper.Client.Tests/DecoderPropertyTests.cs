using System.Buffers.Binary;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Session;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// Property-based tests of the jute decoding layer (JuteReader, the reply decoders), of FrameBuffer/JuteReader round
/// trips, of ZooKeeperPath against an independent model of the server's PathUtils.validatePath, and of
/// ConnectionString.Parse.
/// </summary>
public sealed class DecoderPropertyTests : IAsyncLifetime
{
    /// <summary>Every property runs under this bound, so a decoder that loops forever fails the test instead of hanging it.</summary>
    private static readonly TimeSpan PropertyTimeout = TimeSpan.FromSeconds(30);

    private const string ChrootPath = "/app/root";

    // The decoders take the chroot as a value; nothing of the session is involved.
    private static readonly Chroot _plain = new(null);
    private static readonly Chroot _chrooted = new(ChrootPath);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// Runs a property on its own thread (CsCheck is told to use that one thread), so the CPU-heavy sampling does not
    /// occupy thread-pool threads that the timing-sensitive client tests running in parallel need.
    /// </summary>
    private static Task Property(Action run) => Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(PropertyTimeout);

    // ================================================================= generators

    /// <summary>Valid Unicode text (no lone surrogates): mostly path-ish ASCII, sometimes any scalar value.</summary>
    private static readonly Gen<string> GenText = Gen.Frequency(
        (4, Gen.String[Gen.Char["abz09/._-: "], 0, 12]),
        (1, Gen.Int[0, 0x10FFFF].Where(cp => cp is < 0xD800 or > 0xDFFF).Array[0, 6].Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)))));

    private static readonly Gen<Stat> GenStat = Gen.Select(
        Gen.Long.Array[4], Gen.Int.Array[5], Gen.Long.Array[2],
        (l, i, m) => new Stat(l[0], l[1], l[2], l[3], i[0], i[1], i[2], m[0], i[3], i[4], m[1]));

    private static readonly Gen<byte[]> GenData = Gen.Byte.Array[0, 48];

    private static readonly Gen<Acl> GenAcl = Gen.Select(Gen.Int, GenText, GenText, (p, s, i) => new Acl((Permissions)p, new ZooKeeperId(s, i)));

    /// <summary>Ints that matter as lengths and counts.</summary>
    private static readonly Gen<int> GenInterestingInt = Gen.Frequency(
        (3, Gen.OneOfConst(-2, -1, 0, 1, 2, 3, 4, 8, 12, 16, 68, 255, 0x7fff, 0x10000, 0x7ffffff0, int.MaxValue, int.MinValue)),
        (1, Gen.Int));

    // ================================================================= JuteReader: arbitrary input

    private enum ReadOp
    {
        Int,
        Long,
        Bool,
        Buffer,
        NullableString,
        String,
        StringList,
        Stat,
        AclList,
        Count,
    }

    /// <summary>Random bytes, built from raw noise and big-endian "interesting" ints so length paths get hit often.</summary>
    private static readonly Gen<byte[]> GenNoise = Gen.OneOf(
        Gen.Byte.Array[0, 96],
        Gen.OneOf(Gen.Byte.Array[0, 6], GenInterestingInt.Select(Jute.Int32)).Array[0, 12].Select(chunks => chunks.SelectMany(c => c).ToArray()));

    [Fact]
    public Task JuteReader_on_random_bytes_throws_only_ProtocolException_and_never_reads_past_the_end() => Property(() =>
        Check.Sample(
            Gen.Select(GenNoise, Gen.Enum<ReadOp>().Array[1, 12]),
            (bytes, program) => RunProgram(bytes, program),
            iter: 4000, threads: 1));

    private static void RunProgram(byte[] bytes, ReadOp[] program)
    {
        var r = new JuteReader(bytes);
        foreach (var op in program)
        {
            var before = r.Position;
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                switch (op)
                {
                    case ReadOp.Int: r.ReadInt(); break;
                    case ReadOp.Long: r.ReadLong(); break;
                    case ReadOp.Bool: r.ReadBool(); break;
                    case ReadOp.Buffer: r.ReadBuffer(); break;
                    case ReadOp.NullableString: r.ReadNullableString(); break;
                    case ReadOp.String: r.ReadString(); break;
                    case ReadOp.StringList: r.ReadStringList(); break;
                    case ReadOp.Stat: r.ReadStat(); break;
                    case ReadOp.AclList: r.ReadAclList(); break;
                    case ReadOp.Count: r.ReadCount("vector<thing>", 4); break;
                }
            }
            catch (ProtocolException)
            {
                AssertBoundedAllocation(allocatedBefore, bytes.Length);
                return;
            }

            AssertBoundedAllocation(allocatedBefore, bytes.Length);
            Assert.InRange(r.Position, before, bytes.Length);
            Assert.Equal(bytes.Length - r.Position, r.Remaining);
        }
    }

    /// <summary>A decoder may allocate in proportion to its input (strings, lists), never in proportion to a count it read.</summary>
    private static void AssertBoundedAllocation(long allocatedBefore, int inputLength)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var limit = AllocationLimit(inputLength);
        Assert.True(allocated <= limit, $"decoding {inputLength} bytes allocated {allocated} bytes (limit {limit})");
    }

    private static long AllocationLimit(int inputLength) => (64 * 1024) + (32L * inputLength);

    private delegate void Reader(ref JuteReader r);

    public static TheoryData<string> LengthReaders => new() { "buffer", "string", "nullable-string", "string-list", "acl-list", "count", "whoami", "children-decoder", "acl-decoder", "data-decoder" };

    [Theory]
    [MemberData(nameof(LengthReaders))]
    public void Absurd_lengths_and_vector_counts_are_rejected_up_front_without_allocating(string reader)
    {
        foreach (var value in new[] { int.MaxValue, 0x7ffffff0, 0x40000000, 0x10000, 65, int.MinValue, -2, -100 })
        {
            // The value, then 64 bytes: far too few for that many elements.
            var bytes = Jute.Int32(value).Concat(new byte[64]).ToArray();

            // Once unmeasured: first-time work on this thread (type initialisers, the first exception's stack trace
            // machinery) is not what this measures, and whether it already happened depends on test order.
            Record.Exception(() => ReadWith(reader, bytes));
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var ex = Record.Exception(() => ReadWith(reader, bytes));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (ex is not ProtocolException pe)
            {
                Assert.Fail($"{reader} with {value}: expected ProtocolException, got {ex?.ToString() ?? "no exception"}");
                return;
            }

            Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), pe.Message, StringComparison.Ordinal);
            Assert.True(allocated < 32 * 1024, $"{reader} with {value} allocated {allocated} bytes before rejecting");
        }
    }

    private void ReadWith(string reader, byte[] bytes)
    {
        var r = new JuteReader(bytes);
        switch (reader)
        {
            case "buffer": r.ReadBuffer(); break;
            case "string": r.ReadString(); break;
            case "nullable-string": r.ReadNullableString(); break;
            case "string-list": r.ReadStringList(); break;
            case "acl-list": r.ReadAclList(); break;
            case "count": r.ReadCount("vector<x>", 1); break;
            case "whoami": Decode<IReadOnlyList<ClientInfo>, WhoAmIReply>(_plain, bytes); break;
            case "children-decoder": Decode<IReadOnlyList<string>, ChildrenReply>(_plain, bytes); break;
            case "acl-decoder": Decode<AclResult, AclReply>(_plain, bytes); break;
            case "data-decoder": Decode<DataResult, DataReply>(_plain, bytes); break;
            default: throw new ArgumentOutOfRangeException(nameof(reader));
        }
    }

    [Fact]
    public void Null_buffers_strings_and_vectors_decode_as_documented()
    {
        var minusOne = Jute.Int32(-1);
        var r = new JuteReader(minusOne);
        Assert.Empty(r.ReadBuffer());
        r = new JuteReader(minusOne);
        Assert.Null(r.ReadNullableString());
        r = new JuteReader(minusOne);
        Assert.Empty(r.ReadStringList());
        r = new JuteReader(minusOne);
        Assert.Empty(r.ReadAclList());
        r = new JuteReader(minusOne);
        var ex = Assert.Throws<ProtocolException>(() => new JuteReader(minusOne).ReadString());
        Assert.Contains("null", ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, r.ReadCount("x", 4));
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_ProtocolException()
    {
        foreach (var bad in new byte[][] { [0xff], [0xc3], [0xed, 0xa0, 0x80] /* encoded surrogate */, [0xf4, 0x90, 0x80, 0x80] /* > U+10FFFF */, [0xc0, 0xaf] /* overlong '/' */ })
        {
            var bytes = Jute.Int32(bad.Length).Concat(bad).ToArray();
            Assert.Throws<ProtocolException>(() => new JuteReader(bytes).ReadString());
        }
    }

    // ================================================================= FrameBuffer -> JuteReader round trips

    private abstract record Field;

    private sealed record IntField(int Value) : Field;

    private sealed record LongField(long Value) : Field;

    private sealed record BoolField(bool Value) : Field;

    private sealed record BufferField(byte[]? Value) : Field;

    private sealed record StringField(string? Value) : Field;

    private sealed record ConcatField(string Prefix, string Value) : Field;

    private sealed record VectorField(List<string>? Value) : Field;

    private sealed record StatField(Stat Value) : Field;

    private static readonly Gen<Field> GenField = Gen.OneOf<Field>(
        Gen.Int.Select(v => (Field)new IntField(v)),
        Gen.Long.Select(v => (Field)new LongField(v)),
        Gen.Bool.Select(v => (Field)new BoolField(v)),
        Gen.Frequency((1, Gen.Const((byte[]?)null)), (5, Gen.Byte.Array[0, 300].Select(b => (byte[]?)b))).Select(v => (Field)new BufferField(v)),
        Gen.Frequency((1, Gen.Const((string?)null)), (5, GenText.Select(s => (string?)s))).Select(v => (Field)new StringField(v)),
        Gen.Select(GenText, GenText, (p, v) => (Field)new ConcatField(p, v)),
        Gen.Frequency((1, Gen.Const((List<string>?)null)), (5, GenText.List[0, 8].Select(l => (List<string>?)l))).Select(v => (Field)new VectorField(v)),
        GenStat.Select(v => (Field)new StatField(v)));

    [Fact]
    public Task FrameBuffer_fields_read_back_equal_through_JuteReader() => Property(() =>
        Check.Sample(
            Gen.Select(GenField.Array[0, 20], Gen.Int[1, 64]),
            (fields, initialCapacity) =>
            {
                // A tiny initial capacity makes the buffer grow (and copy) along the way.
                using var b = new FrameBuffer(initialCapacity);
                foreach (var f in fields)
                {
                    Write(b, f);
                }

                var bytes = b.WrittenSpan.ToArray();
                Assert.Equal(b.Length, bytes.Length);
                var r = new JuteReader(bytes);
                foreach (var f in fields)
                {
                    ReadAndCheck(ref r, f);
                }

                Assert.Equal(0, r.Remaining);
            },
            iter: 2000, threads: 1));

    private static void Write(FrameBuffer b, Field f)
    {
        switch (f)
        {
            case IntField x: b.WriteInt(x.Value); break;
            case LongField x: b.WriteLong(x.Value); break;
            case BoolField x: b.WriteBool(x.Value); break;
            case BufferField x: b.WriteBuffer(x.Value, isNull: x.Value is null); break;
            case StringField x: b.WriteString(x.Value); break;
            case ConcatField x: b.WriteConcatenated(x.Prefix, x.Value); break;
            case VectorField x: b.WriteStringVector(x.Value); break;
            case StatField x: WriteStat(b, x.Value); break;
            default: throw new ArgumentOutOfRangeException(nameof(f));
        }
    }

    private static void ReadAndCheck(ref JuteReader r, Field f)
    {
        switch (f)
        {
            case IntField x: Assert.Equal(x.Value, r.ReadInt()); break;
            case LongField x: Assert.Equal(x.Value, r.ReadLong()); break;
            case BoolField x: Assert.Equal(x.Value, r.ReadBool()); break;
            case BufferField x: Assert.Equal(x.Value ?? [], r.ReadBuffer()); break; // null reads as empty (documented)
            case StringField x: Assert.Equal(x.Value, r.ReadNullableString()); break;
            case ConcatField x: Assert.Equal(x.Prefix + x.Value, r.ReadString()); break;
            case VectorField x: Assert.Equal(x.Value ?? [], r.ReadStringList()); break; // null reads as empty
            case StatField x: Assert.Equal(x.Value, r.ReadStat()); break;
            default: throw new ArgumentOutOfRangeException(nameof(f));
        }
    }

    /// <summary>Stat in wire order (protocol doc §4), written with FrameBuffer's primitives.</summary>
    private static void WriteStat(FrameBuffer b, Stat s)
    {
        b.WriteLong(s.Czxid);
        b.WriteLong(s.Mzxid);
        b.WriteLong(s.Ctime);
        b.WriteLong(s.Mtime);
        b.WriteInt(s.Version);
        b.WriteInt(s.Cversion);
        b.WriteInt(s.Aversion);
        b.WriteLong(s.EphemeralOwner);
        b.WriteInt(s.DataLength);
        b.WriteInt(s.NumChildren);
        b.WriteLong(s.Pzxid);
    }

    [Fact]
    public void Stat_is_read_in_wire_order()
    {
        // Independent of FrameBuffer: the fake server's encoder, with a distinct value in every field.
        var stat = new Stat(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        var bytes = new JuteWriter().Stat(stat).ToArray();
        Assert.Equal(68, bytes.Length);
        Assert.Equal(stat, new JuteReader(bytes).ReadStat());
    }

    [Fact]
    public Task FrameBuffer_frames_are_length_prefixed_back_to_back_and_rolled_back_frames_vanish() => Property(() =>
        Check.Sample(
            Gen.Select(Gen.Byte.Array[0, 2000], Gen.Bool).Array[0, 12],
            frames =>
            {
                using var b = new FrameBuffer(16);
                var kept = new List<byte[]>();
                foreach (var (payload, rollback) in frames)
                {
                    var start = b.BeginFrame();
                    b.WriteBuffer(payload);
                    if (rollback)
                    {
                        b.Rollback(start);
                        Assert.Equal(start, b.Length);
                    }
                    else
                    {
                        Assert.Equal(4 + payload.Length, b.EndFrame(start));
                        kept.Add(payload);
                    }
                }

                var span = b.WrittenSpan;
                foreach (var payload in kept)
                {
                    Assert.Equal(4 + payload.Length, BinaryPrimitives.ReadInt32BigEndian(span));
                    var r = new JuteReader(span.Slice(4, 4 + payload.Length));
                    Assert.Equal(payload, r.ReadBuffer());
                    span = span[(8 + payload.Length)..];
                }

                Assert.Equal(0, span.Length);
                b.Reset();
                Assert.Equal(0, b.Length);
            },
            iter: 500, threads: 1));

    // ================================================================= reply shapes: valid, then mutated

    private sealed record Encoded(string Shape, byte[] Bytes, Op[]? Ops = null, OpCode MultiOp = OpCode.Multi)
    {
        public override string ToString() => $"{Shape}: {Convert.ToHexString(Bytes)}";
    }

    private static byte[] Encode(Action<FrameBuffer> write)
    {
        using var b = new FrameBuffer(64);
        write(b);
        return b.WrittenSpan.ToArray();
    }

    private static void WriteAcls(FrameBuffer b, List<Acl> acls)
    {
        b.WriteInt(acls.Count);
        foreach (var a in acls)
        {
            b.WriteInt((int)a.Permissions);
            b.WriteString(a.Id.Scheme);
            b.WriteString(a.Id.Id);
        }
    }

    /// <summary>One multi result: MultiHeader type/err plus its body.</summary>
    private sealed record MultiItem(int Type, int Err, string Path, Stat Stat, byte[] Data, List<string> Children, int ErrorCode);

    private static readonly Gen<string> GenChrootedPath = GenText.Select(t => ChrootPath + "/" + t.Replace("/", "_", StringComparison.Ordinal));

    private static Gen<MultiItem> GenMultiItem(int[] types) => Gen.Select(
        Gen.OneOfConst(types), GenChrootedPath, GenStat, GenData, GenText.List[0, 4], Gen.Int[-130, 0],
        (type, path, stat, data, children, code) => new MultiItem(type, type == -1 ? code : 0, path, stat, data, children, code));

    private static readonly int[] WriteTypes = [1, 15, 19, 21, 2, 13, 5];

    private static readonly int[] ReadTypes = [4, 8, -1];

    private static void WriteMulti(FrameBuffer b, IEnumerable<MultiItem> items)
    {
        foreach (var i in items)
        {
            b.WriteInt(i.Type);
            b.WriteBool(false);
            b.WriteInt(i.Err);
            switch (i.Type)
            {
                case 1: b.WriteString(i.Path); break;
                case 15 or 19 or 21: b.WriteString(i.Path); WriteStat(b, i.Stat); break;
                case 5: WriteStat(b, i.Stat); break;
                case 4: b.WriteBuffer(i.Data); WriteStat(b, i.Stat); break;
                case 8: b.WriteStringVector(i.Children); break;
                case -1: b.WriteInt(i.ErrorCode); break;
            }
        }

        b.WriteInt(-1);
        b.WriteBool(true);
        b.WriteInt(-1);
    }

    private static Op[] OpsFor(int count, bool read) => [.. Enumerable.Range(0, count).Select(i => read ? (Op)Op.GetData($"/op{i}") : Op.Check($"/op{i}", i))];

    private static readonly Gen<Encoded> GenValidEncoding = Gen.OneOf(
        GenStat.Select(s => new Encoded("stat", Encode(b => WriteStat(b, s)))),
        Gen.Select(GenData, GenStat, (d, s) => new Encoded("data", Encode(b => { b.WriteBuffer(d); WriteStat(b, s); }))),
        GenText.List[0, 6].Select(l => new Encoded("children", Encode(b => b.WriteStringVector(l)))),
        Gen.Select(GenText.List[0, 6], GenStat, (l, s) => new Encoded("children2", Encode(b => { b.WriteStringVector(l); WriteStat(b, s); }))),
        Gen.Select(GenAcl.List[0, 4], GenStat, (a, s) => new Encoded("acl", Encode(b => { WriteAcls(b, a); WriteStat(b, s); }))),
        Gen.Select(GenChrootedPath, GenStat, (p, s) => new Encoded("create", Encode(b => { b.WriteString(p); WriteStat(b, s); }))),
        GenChrootedPath.Select(p => new Encoded("path", Encode(b => b.WriteString(p)))),
        GenChrootedPath.List[0, 5].Select(l => new Encoded("paths", Encode(b => b.WriteStringVector(l)))),
        Gen.Int.Select(i => new Encoded("int", Encode(b => b.WriteInt(i)))),
        Gen.Select(GenText, GenText).List[0, 4].Select(l => new Encoded("whoami", Encode(b =>
        {
            b.WriteInt(l.Count);
            foreach (var (scheme, user) in l)
            {
                b.WriteString(scheme);
                b.WriteString(user);
            }
        }))),
        Gen.Select(Gen.Int[-1, 7], Gen.Int[-112, 7], Gen.Frequency((1, Gen.Const((string?)null)), (4, GenText.Select(t => (string?)t))), (t, s, p) => new Encoded("event", Encode(b =>
        {
            b.WriteInt(t);
            b.WriteInt(s);
            b.WriteString(p);
        }))),
        GenMultiItem(WriteTypes).Array[0, 5].Select(items => new Encoded("multi", Encode(b => WriteMulti(b, items)), OpsFor(items.Length, read: false), OpCode.Multi)),
        GenMultiItem(ReadTypes).Array[0, 5].Select(items => new Encoded("multi", Encode(b => WriteMulti(b, items)), OpsFor(items.Length, read: true), OpCode.MultiRead)));

    /// <summary>One mutation: flip a byte, truncate, extend, overwrite 4 bytes with an interesting int, delete or insert bytes.</summary>
    private readonly record struct Mutation(int Kind, int Position, int Value, byte[] Extra);

    private static readonly Gen<Mutation> GenMutation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], GenInterestingInt, Gen.Byte.Array[1, 12], (k, p, v, e) => new Mutation(k, p, v, e));

    private static byte[] Apply(byte[] input, Mutation m)
    {
        var list = input.ToList();
        var at = list.Count == 0 ? 0 : m.Position % (list.Count + 1);
        switch (m.Kind)
        {
            case 0 when list.Count > 0: // flip bits of one byte
                var i = m.Position % list.Count;
                list[i] ^= (byte)(m.Extra[0] | 1);
                break;
            case 1: // truncate
                list.RemoveRange(at, list.Count - at);
                break;
            case 2: // extend with junk
                list.AddRange(m.Extra);
                break;
            case 3 when list.Count >= 4: // overwrite an int (a length, a count, a type...) with an interesting value
                var j = m.Position % (list.Count - 3);
                var v = Jute.Int32(m.Value);
                for (var k = 0; k < 4; k++)
                {
                    list[j + k] = v[k];
                }

                break;
            case 4 when list.Count > 0: // delete a few bytes
                var del = m.Position % list.Count;
                list.RemoveRange(del, Math.Min(m.Extra.Length, list.Count - del));
                break;
            case 5: // insert junk
                list.InsertRange(at, m.Extra);
                break;
        }

        return [.. list];
    }

    [Fact]
    public Task Valid_encodings_decode_without_error() => Property(() =>
        Check.Sample(GenValidEncoding, e => Assert.Null(DecodeAll(e, e.Bytes, mustSucceed: true)), iter: 1500, threads: 1));

    [Fact]
    public Task Mutated_encodings_throw_only_ProtocolException_and_always_complete_the_request() => Property(() =>
        Check.Sample(
            Gen.Select(GenValidEncoding, GenMutation.Array[1, 3]),
            (e, mutations) =>
            {
                var bytes = mutations.Aggregate(e.Bytes, Apply);
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                DecodeAll(e, bytes, mustSucceed: false);
                if (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore > AllocationLimit(bytes.Length))
                {
                    // Decoding is deterministic, so what the decoders allocate repeats on a second pass; one-off work
                    // done on this thread meanwhile (a shared pool refilling a bucket another test emptied, exception
                    // listeners other tests in the process enabled) does not. Judge the second pass.
                    allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                    DecodeAll(e, bytes, mustSucceed: false);
                }

                AssertBoundedAllocation(allocatedBefore, bytes.Length);
            },
            iter: 6000, threads: 1));

    /// <summary>
    /// Decodes <paramref name="bytes"/> as <paramref name="e"/>'s shape, at the JuteReader level and with every reply
    /// decoder that reads that shape (directly and through PendingRequest.OnReply). Returns the first exception, which
    /// must be a ProtocolException (or the ZooKeeperException of an aborted multi); anything else fails the property.
    /// </summary>
    private Exception? DecodeAll(Encoded e, byte[] bytes, bool mustSucceed)
    {
        Exception? first = null;
        void Try(Action decode)
        {
            try
            {
                decode();
            }
            catch (ProtocolException ex)
            {
                first ??= ex;
            }
            catch (ZooKeeperException ex) when (e.Shape == "multi" && e.MultiOp == OpCode.Multi && ex.FailedOperationIndex >= 0)
            {
                // An aborted transaction: some result has a non-zero error code.
                if (!mustSucceed)
                {
                    first ??= ex;
                }
                else
                {
                    throw;
                }
            }
        }

        switch (e.Shape)
        {
            case "stat":
                Try(() => new JuteReader(bytes).ReadStat());
                Try(() => Decode<Stat, StatReply>(_plain, bytes));
                Try(() => Decode<Stat?, ExistsReply>(_plain, bytes));
                Try(() => ViaOnReply<Stat, StatReply>(_plain, bytes));
                break;
            case "data":
                Try(() =>
                {
                    var r = new JuteReader(bytes);
                    r.ReadBuffer();
                    r.ReadStat();
                });
                Try(() => Decode<DataResult, DataReply>(_plain, bytes));
                Try(() => ViaOnReply<DataResult, DataReply>(_plain, bytes));
                break;
            case "children":
                Try(() => new JuteReader(bytes).ReadStringList());
                Try(() => Decode<IReadOnlyList<string>, ChildrenReply>(_plain, bytes));
                Try(() => ViaOnReply<IReadOnlyList<string>, ChildrenReply>(_plain, bytes));
                break;
            case "children2":
                Try(() => Decode<ChildrenResult, Children2Reply>(_plain, bytes));
                Try(() => ViaOnReply<ChildrenResult, Children2Reply>(_plain, bytes));
                break;
            case "acl":
                Try(() =>
                {
                    var r = new JuteReader(bytes);
                    r.ReadAclList();
                    r.ReadStat();
                });
                Try(() => Decode<AclResult, AclReply>(_plain, bytes));
                Try(() => ViaOnReply<AclResult, AclReply>(_plain, bytes));
                break;
            case "create":
                Try(() => Decode<CreateResult, CreateReply>(_chrooted, bytes));
                Try(() => ViaOnReply<CreateResult, CreateReply>(_chrooted, bytes));
                Try(() => Decode<CreateResult, CreateReply>(_plain, bytes));
                break;
            case "path":
                Try(() => Decode<string, PathReply>(_chrooted, bytes));
                Try(() => ViaOnReply<string, PathReply>(_chrooted, bytes));
                break;
            case "paths":
                Try(() => Decode<IReadOnlyList<string>, PathListReply>(_chrooted, bytes));
                Try(() => ViaOnReply<IReadOnlyList<string>, PathListReply>(_chrooted, bytes));
                break;
            case "int":
                Try(() => Decode<int, IntReply>(_plain, bytes));
                Try(() => ViaOnReply<int, IntReply>(_plain, bytes));
                break;
            case "whoami":
                Try(() => Decode<IReadOnlyList<ClientInfo>, WhoAmIReply>(_plain, bytes));
                Try(() => ViaOnReply<IReadOnlyList<ClientInfo>, WhoAmIReply>(_plain, bytes));
                break;
            case "event":
                Try(() =>
                {
                    // The notification body HandleFrame reads: WatcherEvent {type, state, path}.
                    var r = new JuteReader(bytes);
                    r.ReadInt();
                    r.ReadInt();
                    r.ReadNullableString();
                });
                break;
            case "multi":
                Try(() => Decode<IReadOnlyList<OpResult>, MultiReply>(_chrooted, bytes, e.Ops, e.MultiOp));
                Try(() => ViaOnReply<IReadOnlyList<OpResult>, MultiReply>(_chrooted, bytes, e.Ops, e.MultiOp));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e));
        }

        if (mustSucceed && first is not null)
        {
            Assert.Fail($"a valid {e.Shape} encoding failed to decode: {first.Message}");
        }

        return first;
    }

    /// <summary>Runs a reply decoder directly.</summary>
    private static T Decode<T, TDecoder>(Chroot chroot, byte[] bytes, object? state = null, OpCode op = OpCode.GetData, ErrorCode error = ErrorCode.Ok)
        where TDecoder : IReplyDecoder<T>
    {
        var reader = new JuteReader(bytes);
        return TDecoder.Decode(new ReplyContext(chroot, "/p", op, state), error, ref reader);
    }

    /// <summary>
    /// Feeds the reply through PendingRequest.OnReply as the read loop does: the request must complete either way —
    /// with ConnectionLossException wrapping the ProtocolException OnReply rethrows, or with the decoded result — so a
    /// malformed reply can never leave a caller waiting.
    /// </summary>
    private static void ViaOnReply<T, TDecoder>(Chroot chroot, byte[] bytes, object? state = null, OpCode op = OpCode.GetData)
        where TDecoder : IReplyDecoder<T>
    {
        var request = PendingRequest<T, TDecoder>.Rent(runContinuationsAsynchronously: false);
        request.Path = "/p";
        request.State = state;
        request.Op = op;
        var task = request.Task;
        ProtocolException? protocolError = null;
        try
        {
            request.Decode(chroot, ErrorCode.Ok, bytes);
        }
        catch (ProtocolException ex)
        {
            protocolError = ex;
        }

        // As the reader does: what Decode kept is published afterwards, also after a malformed body.
        request.Complete(forceAsync: false);

        Assert.True(task.IsCompleted, "Decode + Complete did not complete the request");
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (ConnectionLossException ex) when (protocolError is not null)
        {
            Assert.Same(protocolError, ex.InnerException);
            return;
        }

        if (protocolError is not null)
        {
            Assert.Fail("Decode threw a ProtocolException but the request completed successfully");
        }
    }

    // ================================================================= multi: round trip and aborted transactions

    [Fact]
    public Task Multi_reply_round_trips_with_the_chroot_stripped() => Property(() =>
        Check.Sample(
            Gen.Select(Gen.Bool, Gen.Int[0, 6]).SelectMany((read, n) => GenMultiItem(read ? ReadTypes : WriteTypes).Array[n].Select(items => (read, items))),
            t =>
            {
                var (read, items) = t;
                var bytes = Encode(b => WriteMulti(b, items));
                var results = Decode<IReadOnlyList<OpResult>, MultiReply>(_chrooted, bytes, OpsFor(items.Length, read), read ? OpCode.MultiRead : OpCode.Multi);
                Assert.Equal(items.Length, results.Count);
                for (var i = 0; i < items.Length; i++)
                {
                    var item = items[i];
                    var clientPath = item.Path[ChrootPath.Length..];
                    switch (item.Type, results[i])
                    {
                        case (1, CreateOpResult c): Assert.Equal(clientPath, c.Path); Assert.Null(c.Stat); break;
                        case (15 or 19 or 21, CreateOpResult c): Assert.Equal(clientPath, c.Path); Assert.Equal(item.Stat, c.Stat); break;
                        case (2, DeleteOpResult): break;
                        case (13, CheckOpResult): break;
                        case (5, SetDataOpResult s): Assert.Equal(item.Stat, s.Stat); break;
                        case (4, GetDataOpResult d): Assert.Equal(item.Data, d.Data); Assert.Equal(item.Stat, d.Stat); break;
                        case (8, GetChildrenOpResult c): Assert.Equal(item.Children, c.Children); break;
                        case (-1, ErrorOpResult err): Assert.Equal((ErrorCode)item.ErrorCode, err.Code); break;
                        default: Assert.Fail($"result {i}: type {item.Type} decoded as {results[i]}"); break;
                    }
                }
            },
            iter: 800, threads: 1));

    [Fact]
    public Task Aborted_multi_throws_the_failing_operations_exception_with_every_result() => Property(() =>
        Check.Sample(
            Gen.Int[1, 6].SelectMany(n => Gen.Select(Gen.Int[0, n - 1], Gen.OneOfConst(-101, -110, -103, -111, -102, -108), (failing, code) => (n, failing, code))),
            t =>
            {
                var (n, failing, code) = t;
                var items = Enumerable.Range(0, n).Select(i => new MultiItem(-1, 0, "/x", default, [], [], i < failing ? 0 : i == failing ? code : -2)).ToArray();
                var bytes = Encode(b => WriteMulti(b, items));
                var ops = OpsFor(n, read: false);
                var ex = Assert.ThrowsAny<ZooKeeperException>(() => Decode<IReadOnlyList<OpResult>, MultiReply>(_plain, bytes, ops, OpCode.Multi));
                Assert.Equal((ErrorCode)code, ex.Code);
                Assert.Equal(ZooKeeperExceptions.Create((ErrorCode)code, null).GetType(), ex.GetType());
                Assert.Equal(failing, ex.FailedOperationIndex);
                Assert.Equal(ops[failing].Path, ex.Path);
                Assert.NotNull(ex.Results);
                Assert.Equal(n, ex.Results.Count);
            },
            iter: 300, threads: 1));

    [Fact]
    public void Multi_reply_with_more_or_fewer_results_than_operations_is_a_ProtocolException()
    {
        var two = Encode(b => WriteMulti(b, [new MultiItem(2, 0, "/x", default, [], [], 0), new MultiItem(2, 0, "/y", default, [], [], 0)]));
        Assert.Throws<ProtocolException>(() => Decode<IReadOnlyList<OpResult>, MultiReply>(_plain, two, OpsFor(1, false), OpCode.Multi));
        Assert.Throws<ProtocolException>(() => Decode<IReadOnlyList<OpResult>, MultiReply>(_plain, two, OpsFor(3, false), OpCode.Multi));
        var unknownType = Encode(b => WriteMulti(b, [new MultiItem(77, 0, "/x", default, [], [], 0)]));
        Assert.Throws<ProtocolException>(() => Decode<IReadOnlyList<OpResult>, MultiReply>(_plain, unknownType, OpsFor(1, false), OpCode.Multi));
    }

    [Fact]
    public void Create_reply_outside_the_chroot_is_a_ProtocolException_and_inside_is_stripped()
    {
        var outside = Encode(b => { b.WriteString("/elsewhere/x"); WriteStat(b, default); });
        Assert.Throws<ProtocolException>(() => Decode<CreateResult, CreateReply>(_chrooted, outside));
        var sibling = Encode(b => { b.WriteString(ChrootPath + "x/y"); WriteStat(b, default); });
        Assert.Throws<ProtocolException>(() => Decode<CreateResult, CreateReply>(_chrooted, sibling));
        var inside = Encode(b => { b.WriteString(ChrootPath + "/a/b"); WriteStat(b, default); });
        Assert.Equal("/a/b", Decode<CreateResult, CreateReply>(_chrooted, inside).Path);
        var root = Encode(b => { b.WriteString(ChrootPath); WriteStat(b, default); });
        Assert.Equal("/", Decode<CreateResult, CreateReply>(_chrooted, root).Path);
    }

    // ================================================================= ZooKeeperPath vs a model of PathUtils.validatePath

    /// <summary>
    /// Reference model, written from the rules (protocol doc §8) rather than from the implementation: a path is "/" or
    /// "/" followed by non-empty components separated by "/", none of them "." or "..", and with no forbidden
    /// character. A sequential create is validated as the path with a digit appended (the server's
    /// <c>validatePath(path + "1")</c>), because the server appends the sequence number before validating.
    /// </summary>
    internal static bool ModelIsValid(string? path, bool sequential)
    {
        if (path is null)
        {
            return false;
        }

        if (sequential)
        {
            path += "1";
        }

        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        foreach (var component in path[1..].Split('/'))
        {
            if (component is "" or "." or "..")
            {
                return false;
            }
        }

        return !path.Any(IsForbidden);
    }

    internal static bool IsForbidden(char c) =>
        c == '\u0000'
        || (c >= '\u0001' && c <= '\u001f')
        || (c >= '\u007f' && c <= '\u009f')
        || (c >= '\ud800' && c <= '\uf8ff')
        || c >= '\ufff0';

    private const string PathAlphabet = "////....aaab \u00e9\u0000\u0001\u001f\u007e\u007f\u0080\u009f\u00a0\ud7ff\ud800\udbff\udc00\udfff\ue000\uf8ff\uf900\uffef\ufff0\ufffd\uffff";

    private static readonly Gen<string> GenPathComponent = Gen.Frequency(
        (3, Gen.OneOfConst("", ".", "..", "...", ".a", "a.", "..a", "a..", "zookeeper", "a b", "x")),
        (2, Gen.String[Gen.Char[PathAlphabet.Replace("/", string.Empty, StringComparison.Ordinal)], 1, 4]));

    /// <summary>Paths near the rules' edges: structured ones, raw strings over a tricky alphabet, and a random char spliced in.</summary>
    private static readonly Gen<string> GenPath = Gen.OneOf(
        Gen.Select(Gen.Frequency((6, Gen.Const(true)), (1, Gen.Const(false))), GenPathComponent.Array[0, 4], Gen.Bool, (lead, parts, trail) => (lead ? "/" : string.Empty) + string.Join('/', parts) + (trail ? "/" : string.Empty)),
        Gen.String[Gen.Char[PathAlphabet], 0, 10],
        Gen.Select(Gen.String[Gen.Char["/.ab"], 1, 8], Gen.Char, Gen.Int[0, 100], (p, c, i) => p.Insert(i % (p.Length + 1), c.ToString())));

    private static string Show(string p) => ZooKeeperText.Printable(p);

    [Fact]
    public Task GetError_agrees_with_the_server_rules_model() => Property(() =>
        Check.Sample(
            GenPath,
            p =>
            {
                var error = ZooKeeperPath.GetError(p);
                Assert.True(ModelIsValid(p, false) == (error is null), $"'{Show(p)}': model says {(ModelIsValid(p, false) ? "valid" : "invalid")}, GetError says {error ?? "valid"}");
                Assert.Equal(error is null, ZooKeeperPath.IsValid(p));
                var thrown = Record.Exception(() => ZooKeeperPath.Validate(p));
                if (error is null)
                {
                    Assert.Null(thrown);
                }
                else
                {
                    var ae = Assert.IsType<ArgumentException>(thrown);
                    Assert.Contains($"'{Show(p)}'", ae.Message, StringComparison.Ordinal);
                }
            },
            iter: 20000,
            threads: 1,
            print: Show));

    /// <summary>The sequential cases where the implementation is known to be stricter than the server (see the skipped test below).</summary>
    private static bool IsKnownSequentialDivergence(string p) => p == "/" || p.EndsWith("/.", StringComparison.Ordinal) || p.EndsWith("/..", StringComparison.Ordinal);

    [Fact]
    public Task GetError_for_sequential_paths_agrees_with_the_model_outside_the_known_divergence() => Property(() =>
        Check.Sample(
            GenPath.Where(p => !IsKnownSequentialDivergence(p)),
            p =>
            {
                var error = ZooKeeperPath.GetError(p, isSequential: true);
                Assert.True(ModelIsValid(p, true) == (error is null), $"'{Show(p)}' (sequential): model says {(ModelIsValid(p, true) ? "valid" : "invalid")}, GetError says {error ?? "valid"}");
            },
            iter: 20000,
            threads: 1,
            print: Show));

    [Fact]
    public Task GetError_for_sequential_paths_agrees_with_the_model() => Property(() =>
        Check.Sample(
            GenPath,
            p =>
            {
                var error = ZooKeeperPath.GetError(p, isSequential: true);
                Assert.True(ModelIsValid(p, true) == (error is null), $"'{Show(p)}' (sequential): model says {(ModelIsValid(p, true) ? "valid" : "invalid")}, GetError says {error ?? "valid"}");
            },
            iter: 20000,
            threads: 1,
            print: Show));

    [Fact]
    public void Every_single_character_is_classified_as_the_server_does()
    {
        for (var c = 0; c <= 0xffff; c++)
        {
            var ch = (char)c;
            var path = "/a" + ch + "b";
            var expected = ModelIsValid(path, false);
            var error = ZooKeeperPath.GetError(path);
            if (expected != (error is null))
            {
                Assert.Fail($"U+{c:X4}: model says {(expected ? "valid" : "invalid")}, GetError says {error ?? "valid"}");
            }
        }
    }

    // ================================================================= ConnectionString.Parse

    private readonly record struct GenServer(string Host, int? Port)
    {
        public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + (Port is { } p ? ":" + p.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
    }

    /// <summary>A DNS label: letters, digits, '_' and inner '-' (never first or last).</summary>
    private static readonly Gen<string> GenLabel = Gen.Select(
        Gen.Char["abcxyz0189_"], Gen.String[Gen.Char["abcxyz0189-_"], 0, 6], Gen.Char["abcxyz0189_"], Gen.Bool,
        (first, middle, last, single) => single ? first.ToString() : first + middle + last);

    /// <summary>Host names the shared grammar accepts: dot-separated labels, the last one led by a letter (so it is never read as an IPv4 address).</summary>
    private static readonly Gen<string> GenHostName = Gen.Select(
        GenLabel.Array[0, 3], Gen.Char["abcxyz"], GenLabel.Array[0, 1],
        (labels, lead, tail) => string.Join('.', labels.Append(lead + string.Concat(tail))));

    private static readonly Gen<string> GenIPv4 = Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, Gen.Byte, (a, b, c, d) => $"{a}.{b}.{c}.{d}");

    private static readonly Gen<string> GenIPv6 = Gen.OneOf(
        Gen.OneOfConst("::1", "::", "fe80::1%eth0", "2001:db8::8a2e:370:7334", "::ffff:127.0.0.1"),
        Gen.UShort.Array[8].Select(parts => string.Join(':', parts.Select(p => p.ToString("x", System.Globalization.CultureInfo.InvariantCulture)))));

    private static readonly Gen<GenServer> GenServerEntry = Gen.Select(
        Gen.OneOf(GenHostName, GenIPv4, GenIPv6),
        Gen.Frequency((1, Gen.Const((int?)null)), (3, Gen.Int[1, 65535].Select(p => (int?)p))),
        (h, p) => new GenServer(h, p));

    /// <summary>Valid chroots, including characters that are special in the host part (',', ':', '[').</summary>
    private static readonly Gen<string> GenChroot = Gen.String[Gen.Char["abc019,:[]._-"], 1, 6]
        .Where(c => c is not ("." or ".."))
        .Array[1, 3]
        .Select(parts => "/" + string.Join('/', parts));

    private static readonly Gen<string?> GenOptionalChroot = Gen.Frequency(
        (2, Gen.Const((string?)null)),
        (1, Gen.Const<string?>("/")),
        (3, GenChroot.Select(c => (string?)c)));

    private static string Format(GenServer[] servers, string? chroot) => string.Join(',', servers) + (chroot ?? string.Empty);

    [Fact]
    public Task ConnectionString_Parse_round_trips_generated_host_lists_and_chroots() => Property(() =>
        Check.Sample(
            Gen.Select(GenServerEntry.Array[1, 5], GenOptionalChroot),
            (servers, chroot) =>
            {
                var text = Format(servers, chroot);
                var parsed = ConnectionString.Parse(text);
                var expected = servers.Select(s => new ServerAddress(s.Host, s.Port ?? ServerAddress.DefaultPort)).ToList();
                Assert.Equal(expected, parsed.Servers);
                Assert.Equal(chroot == "/" ? null : chroot, parsed.Chroot);

                var again = ConnectionString.Parse(parsed.ToString());
                Assert.Equal(expected, again.Servers);
                Assert.Equal(parsed.Chroot, again.Chroot);
                Assert.Equal(parsed.ToString(), again.ToString());
            },
            iter: 3000, threads: 1));

    [Fact]
    public Task ConnectionString_Parse_on_junk_returns_a_sane_result_or_throws_FormatException() => Property(() =>
        Check.Sample(
            Gen.String[Gen.Char["ab19:[],/ .%-_\t\u00a0\u0663\u0000\u00e9\u2028"], 0, 24],
            text =>
            {
                ConnectionString parsed;
                try
                {
                    parsed = ConnectionString.Parse(text);
                }
                catch (FormatException)
                {
                    return;
                }

                Assert.NotEmpty(parsed.Servers);
                foreach (var s in parsed.Servers)
                {
                    Assert.NotEmpty(s.Host);
                    Assert.InRange(s.Port, 1, 65535);
                    Assert.False(s.Host.Any(char.IsWhiteSpace), $"host '{s.Host}'");
                }

                Assert.True(parsed.Chroot is null || (parsed.Chroot != "/" && ZooKeeperPath.IsValid(parsed.Chroot)), $"chroot '{parsed.Chroot}'");
                var again = ConnectionString.Parse(parsed.ToString());
                Assert.Equal(parsed.Servers, again.Servers);
                Assert.Equal(parsed.Chroot, again.Chroot);
            },
            iter: 20000,
            threads: 1,
            print: s => ZooKeeperText.Printable(s)));

    private enum Fault
    {
        TrailingComma,
        LeadingComma,
        DoubleComma,
        WhitespaceInHosts,
        PortZero,
        PortTooBig,
        PortNotANumber,
        PortEmpty,
        PortSigned,
        UnbracketedIPv6,
        UnclosedBracket,
        JunkAfterBracket,
        EmptyHostWithPort,
        BadHostChar,
        ChrootTrailingSlash,
        ChrootDoubleSlash,
        ChrootDot,
        ChrootControlChar,
    }

    /// <summary>Breaks a valid connect string in one specific way.</summary>
    private static string Inject(GenServer[] servers, string? chroot, Fault fault, int position)
    {
        var i = position % servers.Length;
        var s = servers.ToArray();
        var root = chroot is null or "/" ? "/app" : chroot;
        switch (fault)
        {
            case Fault.TrailingComma: return Format(s, null) + "," + (chroot ?? string.Empty);
            case Fault.LeadingComma: return "," + Format(s, chroot);
            case Fault.DoubleComma: return Format(s, null) + ",,h" + (chroot ?? string.Empty);
            case Fault.WhitespaceInHosts:
                {
                    var hosts = Format(s, null);
                    var at = position % (hosts.Length + 1);
                    return hosts.Insert(at, " ") + (chroot ?? string.Empty);
                }

            case Fault.PortZero: return Replace(s, i, e => Host(e) + ":0", chroot);
            case Fault.PortTooBig: return Replace(s, i, e => Host(e) + ":65536", chroot);
            case Fault.PortNotANumber: return Replace(s, i, e => Host(e) + ":http", chroot);
            case Fault.PortEmpty: return Replace(s, i, e => Host(e) + ":", chroot);
            case Fault.PortSigned: return Replace(s, i, e => Host(e) + ":+2181", chroot);
            case Fault.UnbracketedIPv6: return Replace(s, i, _ => "fe80::1", chroot);
            case Fault.UnclosedBracket: return Replace(s, i, _ => "[::1:2181", chroot);
            case Fault.JunkAfterBracket: return Replace(s, i, _ => "[::1]2181", chroot);
            case Fault.EmptyHostWithPort: return Replace(s, i, _ => ":2181", chroot);
            case Fault.BadHostChar: return Replace(s, i, _ => "ho$t", chroot);
            case Fault.ChrootTrailingSlash: return Format(s, root + "/");
            case Fault.ChrootDoubleSlash: return Format(s, root + "//x");
            case Fault.ChrootDot: return Format(s, root + "/./x");
            case Fault.ChrootControlChar: return Format(s, root + "\u0001");
            default: throw new ArgumentOutOfRangeException(nameof(fault));
        }

        static string Host(GenServer e) => e.Host.Contains(':', StringComparison.Ordinal) ? $"[{e.Host}]" : e.Host;

        static string Replace(GenServer[] servers, int index, Func<GenServer, string> entry, string? chroot)
            => string.Join(',', servers.Select((e, k) => k == index ? entry(e) : e.ToString())) + (chroot ?? string.Empty);
    }

    [Fact]
    public Task ConnectionString_Parse_rejects_injected_faults_with_FormatException_naming_the_string() => Property(() =>
        Check.Sample(
            Gen.Select(GenServerEntry.Array[1, 4], GenOptionalChroot, Gen.Enum<Fault>(), Gen.Int[0, 1000]),
            (servers, chroot, fault, position) =>
            {
                var text = Inject(servers, chroot, fault, position);
                var ex = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));
                Assert.Contains(ZooKeeperText.Printable(text), ZooKeeperText.Printable(ex.Message), StringComparison.Ordinal);
            },
            iter: 3000, threads: 1));
}
