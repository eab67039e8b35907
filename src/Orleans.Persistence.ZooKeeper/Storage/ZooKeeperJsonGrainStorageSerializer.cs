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

    /// <summary>Creates the serializer with its default options.</summary>
    public ZooKeeperJsonGrainStorageSerializer()
        : this(new JsonSerializerOptions { IncludeFields = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals })
    {
    }

    /// <summary>Creates the serializer with the given options.</summary>
    public ZooKeeperJsonGrainStorageSerializer(JsonSerializerOptions options) => _options = options;

    /// <inheritdoc/>
    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, _options));

    /// <inheritdoc/>
    public T Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span, _options)!;
}
