using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Grain references in state — a member typed as a grain interface (<c>IProfileGrain</c>), as
/// <see cref="GrainReference"/>, <see cref="IAddressable"/> or one of Orleans' key-kind interfaces — written as the
/// grain id, readable with zkCli: <c>"profile/alice"</c> when the member's type is the reference's own grain
/// interface (reading casts to it), else <c>{"GrainId":"profile/alice","Interface":"…IProfileGrain"}</c> (a member
/// typed <see cref="IAddressable"/>, or an <c>IBaseGrain</c> member holding an <c>IDerivedGrain</c>) so the reference
/// comes back with the interface it was written with. Reading needs the silo's <see cref="IGrainFactory"/>.
/// </summary>
internal sealed class GrainReferenceConverterFactory(Func<IGrainFactory?> grainFactory) : JsonConverterFactory
{
    private const string GrainIdProperty = "GrainId";
    private const string InterfaceProperty = "Interface";

    public override bool CanConvert(Type typeToConvert)
        => typeof(IAddressable).IsAssignableFrom(typeToConvert) && (typeToConvert.IsInterface || typeof(GrainReference).IsAssignableFrom(typeToConvert));

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
        => (JsonConverter)Activator.CreateInstance(typeof(ReferenceConverter<>).MakeGenericType(typeToConvert), grainFactory)!;

    /// <summary>
    /// True for an application's grain interface (the reference implements exactly it); false for
    /// <see cref="GrainReference"/> and the interfaces Orleans itself declares (<see cref="IAddressable"/>,
    /// <see cref="IGrain"/>, <see cref="IGrainWithStringKey"/>, <see cref="IGrainObserver"/>, ...), which say nothing
    /// about the reference's own interface.
    /// </summary>
    internal static bool IsSpecific(Type type)
        => type.IsInterface && type.Assembly != typeof(IAddressable).Assembly && type.Assembly != typeof(IGrainFactory).Assembly;

    private sealed class ReferenceConverter<T>(Func<IGrainFactory?> grainFactory) : JsonConverter<T>
        where T : class
    {
        private static readonly bool Specific = IsSpecific(typeof(T));
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> MoreSpecific = new();

        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? id = null;
            string? iface = null;
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    return null;
                case JsonTokenType.String:
                    id = reader.GetString();
                    break;
                case JsonTokenType.StartObject:
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        if (name == GrainIdProperty)
                        {
                            id = reader.GetString();
                        }
                        else if (name == InterfaceProperty)
                        {
                            iface = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    break;
                default:
                    throw new JsonException($"A grain reference ({typeof(T).FullName}) is stored as a grain id string or an object with '{GrainIdProperty}', not as {reader.TokenType}.");
            }

            if (string.IsNullOrEmpty(id))
            {
                throw new JsonException($"A grain reference ({typeof(T).FullName}) has no grain id.");
            }

            var factory = grainFactory()
                ?? throw new NotSupportedException($"Reading a grain reference ({typeof(T).FullName}) needs the silo's IGrainFactory: create ZooKeeperJsonGrainStorageSerializer with the silo's IServiceProvider.");
            var grainId = GrainId.Parse(id);
            if (Specific && iface is null)
            {
                return (T)factory.GetGrain(grainId).AsReference(typeof(T));
            }

            var reference = iface is null ? factory.GetGrain(grainId) : factory.GetGrain(grainId, GrainInterfaceType.Create(iface));
            return reference as T
                ?? throw new JsonException($"The grain reference '{id}' (interface '{iface}') is not a {typeof(T).FullName}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            var addressable = (IAddressable)value;
            var grainId = addressable.GetGrainId().ToString();
            if (Specific && !MoreSpecific.GetOrAdd(value.GetType(), static t => t.GetInterfaces().Any(i => i != typeof(T) && typeof(T).IsAssignableFrom(i) && IsSpecific(i))))
            {
                writer.WriteStringValue(grainId);
                return;
            }

            writer.WriteStartObject();
            writer.WriteString(GrainIdProperty, grainId);
            if (addressable is GrainReference { InterfaceType.IsDefault: false } reference)
            {
                writer.WriteString(InterfaceProperty, reference.InterfaceType.ToString());
            }

            writer.WriteEndObject();
        }
    }
}
