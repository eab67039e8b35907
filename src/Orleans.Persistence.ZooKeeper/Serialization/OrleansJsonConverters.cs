using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// System.Text.Json converters for the Orleans types an application keeps in grain state, written as text an operator
/// can read with zkCli: <see cref="GrainType"/>, <see cref="GrainInterfaceType"/> and <see cref="IdSpan"/> as their
/// strings, <see cref="Immutable{T}"/> as its value, and grain references (see <see cref="GrainReferenceConverterFactory"/>).
/// <see cref="GrainId"/>, <see cref="SiloAddress"/>, <see cref="ActivationId"/>, <see cref="MembershipVersion"/> and
/// <see cref="UniqueKey"/> carry Orleans' own converters (<c>"type/key"</c>, <c>"10.0.0.5:11111@4711"</c>, ...).
/// </summary>
internal static class OrleansJsonConverters
{
    /// <summary>The converters, in the order they are added to the serializer's options.</summary>
    public static IEnumerable<JsonConverter> Create(Func<IGrainFactory?> grainFactory)
        => [new GrainTypeConverter(), new GrainInterfaceTypeConverter(), new IdSpanConverter(), new ImmutableConverterFactory(), new GrainReferenceConverterFactory(grainFactory)];

    private sealed class GrainTypeConverter : JsonConverter<GrainType>
    {
        public override bool HandleNull => true;

        public override GrainType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => reader.TokenType == JsonTokenType.Null ? default : GrainType.Create(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, GrainType value, JsonSerializerOptions options)
            => WriteOrNull(writer, value.IsDefault ? null : value.ToString());
    }

    private sealed class GrainInterfaceTypeConverter : JsonConverter<GrainInterfaceType>
    {
        public override bool HandleNull => true;

        public override GrainInterfaceType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => reader.TokenType == JsonTokenType.Null ? default : GrainInterfaceType.Create(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, GrainInterfaceType value, JsonSerializerOptions options)
            => WriteOrNull(writer, value.IsDefault ? null : value.ToString());
    }

    private sealed class IdSpanConverter : JsonConverter<IdSpan>
    {
        public override bool HandleNull => true;

        public override IdSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => reader.TokenType == JsonTokenType.Null ? default : IdSpan.Create(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, IdSpan value, JsonSerializerOptions options)
            => WriteOrNull(writer, value.IsDefault ? null : value.ToString());
    }

    private static void WriteOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary><see cref="Immutable{T}"/> as its value (its read-only field would otherwise be lost on read).</summary>
    private sealed class ImmutableConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert)
            => typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Immutable<>);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
            => (JsonConverter)Activator.CreateInstance(typeof(ImmutableConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

        private sealed class ImmutableConverter<T> : JsonConverter<Immutable<T>>
        {
            public override Immutable<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
                => new(JsonSerializer.Deserialize<T>(ref reader, options)!);

            public override void Write(Utf8JsonWriter writer, Immutable<T> value, JsonSerializerOptions options)
                => JsonSerializer.Serialize(writer, value.Value, options);
        }
    }
}
