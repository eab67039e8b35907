using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// The default serializer: plain JSON (System.Text.Json, public properties and fields), with no assembly or CLR
/// type names, so an operator can read a state with zkCli and renaming a class does not orphan stored data. Orleans
/// types in state are written as readable text and read back as they were: grain references (as their grain id),
/// <c>GrainId</c>, <c>GrainType</c>, <c>IdSpan</c>, <c>SiloAddress</c>, <c>ActivationId</c>, <c>MembershipVersion</c>,
/// <c>UniqueKey</c>, <c>Immutable&lt;T&gt;</c>. A state that JSON would not give back as written (a member declared
/// as <see cref="object"/> or as an interface or abstract class without converter, a read-only collection, a member
/// only the Orleans serializer keeps, ...) is refused when it is written, with a <see cref="NotSupportedException"/>
/// naming the state type and the member — never stored lossily.
/// </summary>
public sealed class ZooKeeperJsonGrainStorageSerializer : IGrainStorageSerializer
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static ZooKeeperJsonGrainStorageSerializer? t_writerOwner;

    private readonly JsonSerializerOptions _options;
    private readonly JsonWriterOptions _writerOptions;
    private readonly IServiceProvider? _services;
    private readonly ConcurrentDictionary<Type, string?> _losses = new();
    private IGrainFactory? _grainFactory;

    /// <summary>Creates the serializer with its default options and no services (it can then write grain references but not read them).</summary>
    public ZooKeeperJsonGrainStorageSerializer()
        : this(null, null)
    {
    }

    /// <summary>Creates the serializer.</summary>
    /// <param name="options">System.Text.Json options (copied; the Orleans converters are added to the copy); null for <see cref="DefaultOptions"/>.</param>
    /// <param name="services">The silo's services: reading grain references needs its <see cref="IGrainFactory"/>.</param>
    public ZooKeeperJsonGrainStorageSerializer(JsonSerializerOptions? options, IServiceProvider? services = null)
    {
        _services = services;
        _options = new JsonSerializerOptions(options ?? DefaultOptions());
        foreach (var converter in OrleansJsonConverters.Create(GrainFactory))
        {
            _options.Converters.Add(converter);
        }

        _options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        _options.MakeReadOnly();
        _writerOptions = new JsonWriterOptions { Encoder = _options.Encoder, Indented = _options.WriteIndented, MaxDepth = _options.MaxDepth, SkipValidation = true };
    }

    /// <summary>The options used when none are given: public fields included, nulls written, named floating-point literals allowed.</summary>
    public static JsonSerializerOptions DefaultOptions()
        => new() { IncludeFields = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The state would not read back as written; the message names the type and the member.</exception>
    public BinaryData Serialize<T>(T? input)
    {
        ThrowIfLossy(input);
        return new BinaryData(JsonSerializer.SerializeToUtf8Bytes(input!, TypeInfo<T>()));
    }

    /// <inheritdoc/>
    public T Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Deserialize<T>(input.ToMemory().Span)!;
    }

    /// <summary>Writes <paramref name="input"/> as UTF-8 JSON to <paramref name="output"/> (after the loss check), reusing a per-thread writer.</summary>
    internal void Serialize<T>(T input, IBufferWriter<byte> output)
    {
        ThrowIfLossy(input);
        var writer = t_writer;
        if (writer is null || !ReferenceEquals(t_writerOwner, this))
        {
            writer = new Utf8JsonWriter(output, _writerOptions);
            t_writer = writer;
            t_writerOwner = this;
        }
        else
        {
            writer.Reset(output);
        }

        try
        {
            JsonSerializer.Serialize(writer, input, TypeInfo<T>());
            writer.Flush();
        }
        finally
        {
            writer.Reset(NullBufferWriter.Instance); // let go of the caller's buffer
        }
    }

    /// <summary>Reads a <typeparamref name="T"/> from UTF-8 JSON.</summary>
    internal T? Deserialize<T>(ReadOnlySpan<byte> utf8Json) => JsonSerializer.Deserialize(utf8Json, TypeInfo<T>());

    /// <summary>
    /// Throws <see cref="NotSupportedException"/> naming the type and member when <typeparamref name="T"/> (checked
    /// once) or this value (a subclass held as <typeparamref name="T"/>) would not read back as written.
    /// </summary>
    internal void ThrowIfLossy<T>(T? input)
    {
        if (!_losses.TryGetValue(typeof(T), out var loss))
        {
            loss = _losses.GetOrAdd(typeof(T), RoundTripCheck.FindLoss(_options, typeof(T)));
        }

        if (loss is not null)
        {
            throw new NotSupportedException($"The state type {typeof(T).FullName} cannot be stored as JSON without loss. {loss}");
        }

        if (input is not null && input.GetType() != typeof(T) && TypeInfo<T>() is { Kind: JsonTypeInfoKind.Object, PolymorphismOptions: null })
        {
            throw new NotSupportedException(
                $"The state is a {input.GetType().FullName} held as {typeof(T).FullName}: only the members of {typeof(T).FullName} would be stored, and a {typeof(T).FullName} read back. " +
                $"Declare the state as {input.GetType().FullName}, or list the derived types on {typeof(T).FullName} with [JsonPolymorphic] and [JsonDerivedType].");
        }
    }

    private JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));

    private IGrainFactory? GrainFactory() => _grainFactory ??= _services?.GetService<IGrainFactory>();

    /// <summary>Where the per-thread writer points between uses (it never writes there).</summary>
    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();

        public void Advance(int count) => throw new InvalidOperationException();

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException();

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException();
    }
}
