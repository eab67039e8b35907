using System.IO.Compression;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

// A state's stored bytes: serialization, optional gzip compression, the size limit, and the way back.
internal sealed partial class ZooKeeperGrainStorage
{
    private static readonly byte[] GZipMagic = [0x1f, 0x8b];

    /// <summary>A state as the bytes to store: serialized, compressed when configured, and within the size limit.</summary>
    private ReadOnlyMemory<byte> Serialize<T>(T state, string stateName, GrainId grainId, string? etag, string path)
    {
        if (state is null)
        {
            // Stored, it would read back as a record without a state (see Deserialize): refused on both sides.
            throw new ZooKeeperStorageException($"{Context("write", stateName, grainId, etag)}: the state ({typeof(T).FullName}) is null; a stored record must hold a state. Nothing was sent; the stored state is unchanged. Clear the state (ClearStateAsync) to remove the record.");
        }

        ReadOnlyMemory<byte> data;
        try
        {
            // No copy: the client serializes straight from this memory into its outgoing buffer.
            data = _options.GrainStorageSerializer.Serialize(state).ToMemory();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ZooKeeperStorageException($"{Context("write", stateName, grainId, etag)}: the state ({typeof(T).FullName}) does not serialize with {_options.GrainStorageSerializer.GetType().Name}: {ex.Message}", ex);
        }

        if (data.Length == 0)
        {
            throw new ZooKeeperStorageException($"{Context("write", stateName, grainId, etag)}: the serializer produced no bytes; an empty node means 'no record' to this provider.");
        }

        if (_options.CompressState)
        {
            data = Compress(data, _options.CompressionLevel);
        }

        var limit = MaxStateSize(path);
        if (data.Length > limit)
        {
            throw new ZooKeeperStorageException(
                $"{Context("write", stateName, grainId, etag)}: the serialized state is {data.Length} bytes{(_options.CompressState ? " (compressed)" : string.Empty)}, over the limit of {limit} bytes " +
                $"({(_options.MaxStateSize is null ? "ZooKeeper's packet limit minus the request's paths and headers" : "ZooKeeperGrainStorageOptions.MaxStateSize")}). Nothing was sent; the stored state is unchanged." +
                (_options.CompressState ? string.Empty : " ZooKeeperGrainStorageOptions.CompressState may help."));
        }

        return data;
    }

    private int MaxStateSize(string path)
    {
        if (_options.MaxStateSize is { } configured)
        {
            return configured;
        }

        var packet = Container.Client.Options.MaxPacketSize;
        var pathBytes = System.Text.Encoding.UTF8.GetByteCount(path);
        return packet - (2 * pathBytes) - 64 - ZooKeeperGrainStorageOptions.PacketOverhead;
    }

    private static byte[] Compress(ReadOnlyMemory<byte> data, CompressionLevel level)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(data.Span);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(byte[] data)
    {
        using var input = new MemoryStream(data);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>
    /// A stored state's bytes (gzip-compressed or not, told apart by the gzip magic) as a <typeparamref name="T"/>.
    /// Data that does not deserialize, and data that deserializes to null (JSON <c>null</c>, written by another client
    /// or an older serializer), is refused with an exception naming the node; the node is never changed here.
    /// </summary>
    private T Deserialize<T>(byte[] data, string stateName, GrainId grainId, string etag, string path)
    {
        var compressed = data.AsSpan().StartsWith(GZipMagic);
        T? state;
        try
        {
            var bytes = compressed ? Decompress(data) : data;
            state = _options.GrainStorageSerializer.Deserialize<T>(new BinaryData(bytes));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ZooKeeperStorageException(
                $"{Context("read", stateName, grainId, etag)}: the data in node {path} ({DataDescription(data.Length, compressed)}) does not deserialize as {typeof(T).FullName} with {_options.GrainStorageSerializer.GetType().Name}: {ex.Message}. The node was left untouched.",
                ex);
        }

        if (state is null)
        {
            throw new ZooKeeperStorageException(
                $"{Context("read", stateName, grainId, etag)}: the data in node {path} ({DataDescription(data.Length, compressed)}) deserializes to null (e.g. JSON null) with {_options.GrainStorageSerializer.GetType().Name}, not to a {typeof(T).FullName}; a stored record must hold a state. " +
                "The node was left untouched: write a valid state to it, or delete it to start from no record.");
        }

        return state;
    }

    private static string DataDescription(int length, bool compressed)
        => compressed ? $"{length} bytes, GZip" : $"{length} bytes";
}
