using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// The default serializer: plain JSON (System.Text.Json, public properties and fields), with no assembly or CLR
/// type names, so an operator can read a state with zkCli and renaming a class does not orphan stored data.
/// </summary>
public sealed class ZooKeeperJsonGrainStorageSerializer : IGrainStorageSerializer
{
    private readonly JsonSerializerOptions _options;
    private readonly IGrainStorageSerializer? _orleansTypes;

    /// <summary>Creates the serializer with its default options.</summary>
    public ZooKeeperJsonGrainStorageSerializer()
        : this(DefaultOptions(), null)
    {
    }

    /// <summary>Creates the serializer with the given options.</summary>
    /// <param name="options">System.Text.Json options for application state types.</param>
    /// <param name="orleansTypes">
    /// The serializer for Orleans' own state types (e.g. stream pub/sub state when this provider is the
    /// <c>PubSubStore</c>), which System.Text.Json cannot round-trip; typically the silo's default grain storage serializer.
    /// </param>
    public ZooKeeperJsonGrainStorageSerializer(JsonSerializerOptions options, IGrainStorageSerializer? orleansTypes = null)
    {
        _options = options;
        _orleansTypes = orleansTypes;
    }

    internal static JsonSerializerOptions DefaultOptions()
        => new() { IncludeFields = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <inheritdoc/>
    public BinaryData Serialize<T>(T? input)
        => _orleansTypes is not null && IsOrleansType(typeof(T)) ? _orleansTypes.Serialize(input) : new(JsonSerializer.SerializeToUtf8Bytes(input, _options));

    /// <inheritdoc/>
    public T Deserialize<T>(BinaryData input)
        => _orleansTypes is not null && IsOrleansType(typeof(T)) ? _orleansTypes.Deserialize<T>(input)! : JsonSerializer.Deserialize<T>(input.ToMemory().Span, _options)!;

    private static bool IsOrleansType(Type type)
        => type.Assembly.GetName().Name is { } name && (name == "Orleans" || name.StartsWith("Orleans.", StringComparison.Ordinal))
            && !name.StartsWith("Orleans.ZooKeeper", StringComparison.Ordinal) && !name.StartsWith("Orleans.Persistence.ZooKeeper", StringComparison.Ordinal);
}
