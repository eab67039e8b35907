using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Finds what System.Text.Json would not give back as it was written, from the serializer's own metadata for a
/// state type and every type it holds (once per type): a member declared as <see cref="object"/> (reads back as a
/// JsonElement); an interface or abstract member type without a converter or <c>[JsonPolymorphic]</c> (cannot be
/// created on read — how a grain reference used to fail); a type without a constructor System.Text.Json can use, or
/// whose constructor has a parameter that matches no member; a read-only collection or object member that is not a
/// constructor parameter (written, then silently not restored); and a member the Orleans serializer keeps
/// (<c>[Id]</c>) that the JSON leaves out (private or ignored).
/// </summary>
internal static class RoundTripCheck
{
    /// <summary>The first loss found for <paramref name="root"/>, as a sentence naming the member and its type, or null.</summary>
    public static string? FindLoss(JsonSerializerOptions options, Type root)
        => Visit(options, root, "$", null, new HashSet<Type>());

    private static string? Visit(JsonSerializerOptions options, Type type, string path, string? member, HashSet<Type> visited)
    {
        if (type == typeof(object))
        {
            return $"{Where(path, member)} is declared as object: it would read back as a JsonElement, not as what was written. Declare it with its real type.";
        }

        if (!visited.Add(type))
        {
            return null;
        }

        JsonTypeInfo info;
        try
        {
            info = options.GetTypeInfo(type);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return $"{Where(path, member)} is of type {type.FullName}, which System.Text.Json does not support: {ex.Message}";
        }

        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable => Visit(options, info.ElementType!, path + "[]", member, visited),
            JsonTypeInfoKind.Dictionary => Visit(options, info.KeyType!, path + "{key}", member, visited) ?? Visit(options, info.ElementType!, path + "{}", member, visited),
            JsonTypeInfoKind.Object => VisitObject(options, info, path, member, visited),
            _ => null, // a converter writes and reads it (primitives, strings, Orleans' ids, grain references, ...)
        };
    }

    private static string? VisitObject(JsonSerializerOptions options, JsonTypeInfo info, string path, string? member, HashSet<Type> visited)
    {
        var type = info.Type;
        if ((type.IsInterface || type.IsAbstract) && info.PolymorphismOptions is null)
        {
            return $"{Where(path, member)} is of type {type.FullName}, {(type.IsInterface ? "an interface" : "an abstract class")} that System.Text.Json cannot create on read. " +
                "Declare a concrete type, or list its implementations with [JsonPolymorphic] and [JsonDerivedType].";
        }

        if (info.PolymorphismOptions is { } polymorphism)
        {
            // Each listed type is written and read as itself (with its discriminator).
            foreach (var derived in polymorphism.DerivedTypes)
            {
                if (derived.DerivedType != type && Visit(options, derived.DerivedType, $"{path}<{derived.DerivedType.Name}>", member, visited) is { } derivedLoss)
                {
                    return derivedLoss;
                }
            }

            if (type.IsInterface || type.IsAbstract)
            {
                return null;
            }
        }

        if (info.ConstructorAttributeProvider is ConstructorInfo constructor)
        {
            var bound = info.Properties.Where(p => p.AssociatedParameter is not null).Select(p => p.AssociatedParameter!.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (constructor.GetParameters().FirstOrDefault(p => !bound.Contains(p.Name ?? string.Empty)) is { } unbound)
            {
                return $"{Where(path, member)} is of type {type.FullName}, whose constructor parameter '{unbound.Name}' matches no serialized member, so System.Text.Json cannot call it on read. " +
                    "Add a public parameterless constructor or one whose parameters match the members.";
            }
        }
        else if (info.CreateObject is null && !type.IsValueType)
        {
            return $"{Where(path, member)} is of type {type.FullName}, which has no constructor System.Text.Json can call on read. Add a public parameterless constructor.";
        }

        foreach (var property in info.Properties)
        {
            var memberName = $"{type.FullName}.{property.Name}";
            var propertyPath = path + "." + property.Name;
            var populated = (property.ObjectCreationHandling ?? info.PreferredPropertyObjectCreationHandling ?? options.PreferredObjectCreationHandling) == JsonObjectCreationHandling.Populate;
            if (property.Get is not null && property.Set is null && property.AssociatedParameter is null && !populated
                && options.GetTypeInfo(property.PropertyType).Kind != JsonTypeInfoKind.None)
            {
                return $"{Where(propertyPath, memberName)} (of type {property.PropertyType.FullName}) is read-only and not a constructor parameter: it would be written and then not restored on read. " +
                    "Give it a setter (or init), mark it [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)], or [JsonIgnore] it if it is computed.";
            }

            if (Visit(options, property.PropertyType, propertyPath, memberName, visited) is { } loss)
            {
                return loss;
            }
        }

        return OrleansMemberLeftOut(info, path);
    }

    /// <summary>A member marked <c>[Id]</c> (the Orleans serializer keeps it) that the JSON does not carry.</summary>
    private static string? OrleansMemberLeftOut(JsonTypeInfo info, string path)
    {
        var serialized = info.Properties.Select(p => p.AttributeProvider).OfType<MemberInfo>().Select(m => (m.DeclaringType, m.Name)).ToHashSet();
        for (var t = info.Type; t is not null && t != typeof(object); t = t.BaseType)
        {
            const BindingFlags Declared = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var m in t.GetFields(Declared).Cast<MemberInfo>().Concat(t.GetProperties(Declared)))
            {
                if (m.IsDefined(typeof(IdAttribute), inherit: false) && !serialized.Contains((m.DeclaringType, m.Name)))
                {
                    return $"{Where(path + "." + m.Name, $"{t.FullName}.{m.Name}")} is kept by the Orleans serializer ([Id]) but left out of the JSON (it is not public, or it is ignored), so it would be lost. " +
                        "Make it a public property (or mark it [JsonInclude]).";
                }
            }
        }

        return null;
    }

    private static string Where(string path, string? member) => member is null ? $"The state ({path})" : $"The member {member} ({path})";
}
