using System.Diagnostics;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>One storage call: what it is about, its node, and (when anyone listens) its start time and span.</summary>
internal readonly record struct StorageCall(StorageOperation Operation, string StateName, GrainId GrainId, string? ETag, StatePaths Paths, long Start, Activity? Activity, CancellationToken Cancellation)
{
    /// <summary>The state's node.</summary>
    public string Path => Paths.Path;
}

// Messages with the tokens Orleans' providers write (ServiceId=... ProviderName=... GrainType=... GrainId=... ETag=...),
// the state going into and coming out of its stored bytes, and the connection check. (The type is documented in
// ZooKeeperGrainStorage.cs.)
internal sealed partial class ZooKeeperGrainStorage
{
    /// <summary>
    /// <c>{what} ({Operation}): ServiceId=… ProviderName=… GrainType=… GrainId=… ETag=….</c>, as Orleans' Redis and
    /// ADO.NET providers write it (the ETag empty when the call carried none).
    /// </summary>
    private string Tokens(string what, StorageOperation operation, GrainId grainId, string? etag)
        => $"{what} ({operation.MethodName}): ServiceId={_serviceId} ProviderName={_name} GrainType={grainId.Type} GrainId={grainId} ETag={etag}.";

    private string Tokens(string what, in StorageCall call) => Tokens(what, call.Operation, call.GrainId, call.ETag);

    private InconsistentStateException Conflict(in StorageCall call, string? storedETag, string path)
    {
        var message = $"{Tokens("Version conflict", call)} State '{call.StateName}': the stored ETag is '{storedETag ?? "(none: no record)"}' (node {path}). The stored data was not changed.";
        StorageLog.Conflict(_logger, call.Operation.MethodName, _serviceId, _name, call.GrainId.Type, call.GrainId, call.ETag, call.StateName, path, storedETag);
        return new InconsistentStateException(message, storedETag, call.ETag);
    }

    private ZooKeeperStorageException Failure(in StorageCall call, string path, ZooKeeperException ex)
    {
        var message = $"{Tokens("ZooKeeper grain storage failed", call)} State '{call.StateName}', node {path}: {ex.Message}";
        StorageLog.Failed(_logger, ex, call.Operation.MethodName, _serviceId, _name, call.GrainId.Type, call.GrainId, call.ETag, call.StateName, path);
        return new ZooKeeperStorageException(message, ex);
    }

    /// <summary>The container's client, or (not CONNECTED) an exception at once: Orleans retries at the grain level.</summary>
    private ZooKeeperClient Connected(in StorageCall call)
    {
        var container = Container;
        var state = container.Client.State;
        if (state != ConnectionState.Connected)
        {
            throw new ZooKeeperStorageException($"{Tokens("ZooKeeper grain storage unavailable", call)} State '{call.StateName}': ZooKeeper container '{container.Name}' is {state.ToString().ToUpperInvariant()} (not connected); try again when it is CONNECTED.");
        }

        return container.Client;
    }

    /// <summary>A state as the bytes to store: marked with its format, serialized, compressed when configured, and within the size limit.</summary>
    private EncodedState Encode<T>(T state, in StorageCall call)
    {
        if (state is null)
        {
            // Stored, it would read back as a record without a state (see Deserialize): refused on both sides.
            throw new ZooKeeperStorageException($"{Tokens("Grain state refused", call)} State '{call.StateName}': the state ({typeof(T).FullName}) is null; a stored record must hold a state. Nothing was sent; the stored state is unchanged. Clear the state (ClearStateAsync) to remove the record.");
        }

        EncodedState encoded;
        try
        {
            encoded = _codec.Encode(state);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ZooKeeperStorageException($"{Tokens("Grain state refused", call)} State '{call.StateName}': the state ({typeof(T).FullName}) does not serialize with {_codec.SerializerName<T>()}: {ex.Message} Nothing was sent; the stored state is unchanged.", ex);
        }

        // MaxStateSize limits the serialized state; without it, what is sent must fit ZooKeeper's packet limit.
        var size = _options.MaxStateSize is null ? encoded.Data.Length : encoded.Data.Length - encoded.Format.HeaderLength;
        var limit = MaxStateSize(call.Path);
        if (size > limit)
        {
            encoded.Dispose();
            throw new ZooKeeperStorageException(
                $"{Tokens("Grain state refused", call)} State '{call.StateName}': the {(_options.MaxStateSize is null ? "stored state (format mark included)" : "serialized state")} is {size} bytes{(_options.CompressState ? " (compressed)" : string.Empty)}, over the limit of {limit} bytes " +
                $"({(_options.MaxStateSize is null ? "ZooKeeper's packet limit minus the request's paths and headers" : "ZooKeeperGrainStorageOptions.MaxStateSize")}). Nothing was sent; the stored state is unchanged." +
                (_options.CompressState ? string.Empty : " ZooKeeperGrainStorageOptions.CompressState may help."));
        }

        return encoded;
    }

    private int MaxStateSize(string path)
    {
        if (_options.MaxStateSize is { } configured)
        {
            return configured;
        }

        var packet = Container.Client.MaxPacketSize;
        var pathBytes = System.Text.Encoding.UTF8.GetByteCount(path);
        return packet - (2 * pathBytes) - 64 - ZooKeeperGrainStorageOptions.PacketOverhead;
    }

    /// <summary>
    /// A stored state's bytes as a <typeparamref name="T"/>, read in the format they are marked with. Data that does
    /// not deserialize, and data that deserializes to null (JSON <c>null</c>, written by another client or an older
    /// serializer), is refused with an exception naming the node; the node is never changed here.
    /// </summary>
    private T Deserialize<T>(byte[] data, in StorageCall call, string etag, string path)
    {
        StoredFormat? format = null;
        T? state;
        try
        {
            format = _codec.FormatOf<T>(data);
            state = _codec.Decode<T>(data, format.Value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ZooKeeperStorageException(
                $"{Tokens("Grain state unreadable", call)} State '{call.StateName}': the data in node {path} ({Describe(data.Length, format)}, stored ETag '{etag}') does not deserialize as {typeof(T).FullName}: {ex.Message}. The node was left untouched.",
                ex);
        }

        if (state is null)
        {
            throw new ZooKeeperStorageException(
                $"{Tokens("Grain state unreadable", call)} State '{call.StateName}': the data in node {path} ({Describe(data.Length, format)}, stored ETag '{etag}') deserializes to null (e.g. JSON null), not to a {typeof(T).FullName}; a stored record must hold a state. " +
                "The node was left untouched: write a valid state to it, or delete it to start from no record.");
        }

        return state;
    }

    private static string Describe(int length, StoredFormat? format)
        => format is { } f ? $"{length} bytes, {f}" : $"{length} bytes";
}
