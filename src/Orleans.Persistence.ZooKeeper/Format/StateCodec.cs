using System.IO.Compression;
using Orleans.Configuration;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Turns states into stored bytes and back. Every state is written with its format marked (see
/// <see cref="StoredFormatHeader"/>), so reading never guesses: <c>json</c> data is read by the JSON serializer,
/// <c>orleans</c> data by the silo's grain storage serializer, <c>custom</c> data by the configured one, and
/// <c>+gzip</c> is decompressed first. Data written before the mark existed is read by the rules of that time: GZip
/// when it starts with 1F 8B, and, with the default serializer, the silo's serializer for types from assemblies
/// named <c>Orleans</c> or <c>Orleans.*</c>.
/// </summary>
internal sealed class StateCodec
{
    private static readonly byte[] GZipMagic = [0x1f, 0x8b];

    /// <summary>
    /// Orleans' own state types, stored through the silo's serializer (System.Text.Json cannot round-trip them):
    /// generic type definition name and the exact name of the Orleans assembly that declares it.
    /// </summary>
    private static readonly HashSet<(string Type, string Assembly)> OrleansStateTypes =
    [
        ("Orleans.Streams.PubSubGrainState", "Orleans.Streaming"),
        ("Orleans.Transactions.TransactionalStateRecord`1", "Orleans.Transactions"),
    ];

    private readonly ZooKeeperGrainStorageOptions _options;
    private readonly ZooKeeperJsonGrainStorageSerializer _json;
    private readonly IGrainStorageSerializer? _custom;
    private readonly IGrainStorageSerializer? _silo;

    public StateCodec(ZooKeeperGrainStorageOptions options, IGrainStorageSerializer? siloSerializer, IServiceProvider? services)
    {
        _options = options;
        _silo = siloSerializer;
        if (options.GrainStorageSerializer is ZooKeeperJsonGrainStorageSerializer json)
        {
            _json = json;
        }
        else
        {
            _json = new ZooKeeperJsonGrainStorageSerializer(null, services);
            _custom = options.GrainStorageSerializer;
        }
    }

    /// <summary>The serializer that writes <typeparamref name="T"/>, for messages.</summary>
    public string SerializerName<T>() => FormatFor<T>() switch
    {
        StateFormat.Json => _json.GetType().Name,
        StateFormat.Orleans => _silo!.GetType().Name,
        _ => _custom!.GetType().Name,
    };

    /// <summary>The header, then the serialized state (compressed when configured).</summary>
    /// <exception cref="NotSupportedException">The JSON serializer refuses a state it could not read back as written.</exception>
    /// <exception cref="InvalidDataException">The serializer produced no bytes.</exception>
    public EncodedState Encode<T>(T state)
    {
        var format = FormatFor<T>();
        var compressed = _options.CompressState;
        var scratch = ScratchBuffer.Rent();
        try
        {
            scratch.Write(StoredFormatHeader.For(format, compressed));
            var header = scratch.WrittenCount;
            if (format == StateFormat.Json && !compressed)
            {
                _json.Serialize(state, scratch);
            }
            else
            {
                var payload = format switch
                {
                    StateFormat.Json => _json.Serialize(state).ToMemory(),
                    StateFormat.Orleans => _silo!.Serialize(state).ToMemory(),
                    _ => _custom!.Serialize(state).ToMemory(),
                };
                if (compressed && !payload.IsEmpty)
                {
                    using var gzip = new GZipStream(new ScratchStream(scratch), _options.CompressionLevel, leaveOpen: false);
                    gzip.Write(payload.Span);
                }
                else
                {
                    scratch.Write(payload.Span);
                }
            }

            if (scratch.WrittenCount == header)
            {
                throw new InvalidDataException("the serializer produced no bytes");
            }

            return scratch.Detach(new StoredFormat(format, compressed, header));
        }
        catch
        {
            scratch.Clear();
            throw;
        }
    }

    /// <summary>How <paramref name="data"/> is encoded (marked, or by the rules for unmarked data).</summary>
    /// <exception cref="FormatException">The mark names a format this provider does not know.</exception>
    public StoredFormat FormatOf<T>(ReadOnlySpan<byte> data)
        => StoredFormatHeader.Read(data) ?? new StoredFormat(UnmarkedFormat<T>(), data.StartsWith(GZipMagic), 0);

    /// <summary>Reads a state written in <paramref name="format"/>; null when the data holds null.</summary>
    public T? Decode<T>(ReadOnlyMemory<byte> data, StoredFormat format)
    {
        var payload = data[format.HeaderLength..];
        if (format.Compressed)
        {
            payload = Decompress(payload);
        }

        return format.Format switch
        {
            StateFormat.Json => _json.Deserialize<T>(payload.Span),
            StateFormat.Orleans => (_silo ?? throw new InvalidOperationException(
                "it was written by the silo's grain storage serializer (format 'orleans'), and no IGrainStorageSerializer is registered here")).Deserialize<T>(new BinaryData(payload)),
            _ => (_custom ?? throw new InvalidOperationException(
                "it was written by a serializer configured for the provider (format 'custom'), and this provider uses the default JSON serializer: configure the serializer that wrote it (a keyed IGrainStorageSerializer, SerializerKey or GrainStorageSerializer)")).Deserialize<T>(new BinaryData(payload)),
        };
    }

    private StateFormat FormatFor<T>()
        => _custom is not null ? StateFormat.Custom
            : _silo is not null && TypeRules<T>.IsOrleansStateType ? StateFormat.Orleans
            : StateFormat.Json;

    /// <summary>How data written before format marking was told apart: the configured serializer, which routed by assembly name.</summary>
    private StateFormat UnmarkedFormat<T>()
        => _custom is not null ? StateFormat.Custom
            : _silo is not null && TypeRules<T>.HadOrleansAssemblyName ? StateFormat.Orleans
            : StateFormat.Json;

    private static bool IsOrleansStateType(Type type)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return definition.FullName is { } name && OrleansStateTypes.Contains((name, definition.Assembly.GetName().Name ?? string.Empty));
    }

    /// <summary>The rule data written before format marking was written by (kept only to read that data).</summary>
    private static bool HadOrleansAssemblyName(Type type)
        => type.Assembly.GetName().Name is { } name && (name == "Orleans" || name.StartsWith("Orleans.", StringComparison.Ordinal))
            && !name.StartsWith("Orleans.ZooKeeper", StringComparison.Ordinal) && !name.StartsWith("Orleans.Persistence.ZooKeeper", StringComparison.Ordinal);

    /// <summary>The routing rules for a type, worked out once per type.</summary>
    private static class TypeRules<T>
    {
        public static readonly bool IsOrleansStateType = StateCodec.IsOrleansStateType(typeof(T));

        public static readonly bool HadOrleansAssemblyName = StateCodec.HadOrleansAssemblyName(typeof(T));
    }

    private static byte[] Decompress(ReadOnlyMemory<byte> data)
    {
        using var input = new MemoryStream(data.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A write-only stream into a <see cref="ScratchBuffer"/> (for GZip).</summary>
    private sealed class ScratchStream(ScratchBuffer scratch) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => scratch.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => scratch.Write(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
