using System.Text.Json.Serialization;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper.Tests;

// State types for StateTypesTests: everything the default serializer must give back as written, and shapes it must
// refuse at write time.

/// <summary>Grain references of every declared kind (the case: a reference in state was written as {}).</summary>
public sealed class ReferencesState
{
    public IStringProfileGrain? Friend { get; set; }

    public IGuidProfileGrain? Other { get; set; }

    public GrainReference? Untyped { get; set; }

    public IAddressable? Addressable { get; set; }

    public IGrainWithStringKey? KeyKind { get; set; }

    public IProfileGrain? Base { get; set; }

    public IStringProfileGrain? Nobody { get; set; }

    public List<IStringProfileGrain> Many { get; set; } = [];

    public Dictionary<string, ILongProfileGrain> ByName { get; set; } = [];

    public Holder Field1 { get; set; } = new();
}

/// <summary>A nested holder, as in the error path <c>$.Field1.GrainValue</c>.</summary>
public sealed class Holder
{
    public IStringProfileGrain? GrainValue { get; set; }
}

/// <summary>Orleans' identity and runtime types an application keeps in state.</summary>
public sealed class OrleansIdsState
{
    public GrainId Id { get; set; }

    public GrainId? MaybeId { get; set; }

    public GrainType Type { get; set; }

    public IdSpan Key { get; set; }

    public GrainInterfaceType Interface { get; set; }

    public SiloAddress? Silo { get; set; }

    public ActivationId Activation { get; set; }

    public MembershipVersion Version { get; set; }

    public UniqueKey? Unique { get; set; }

    public StreamId Stream { get; set; }

    public Immutable<List<int>> Frozen { get; set; }

    public Dictionary<GrainId, int> Counts { get; set; } = [];

    public List<SiloAddress> Silos { get; set; } = [];
}

/// <summary>Plain .NET shapes: a positional record with init-only and constructor-bound members.</summary>
public sealed record PlainRecord(string Name, int Age, DateTimeOffset When, Guid Id, decimal Money, TimeSpan Span, DayOfWeek Day, int[] Numbers, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, double> Scores)
{
    public Uri? Home { get; init; }

    public byte[] Blob { get; init; } = [];
}

public struct PointStruct
{
    public int X;

    public int Y;
}

/// <summary>An abstract type made readable with System.Text.Json's polymorphism attributes.</summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(Circle), "circle")]
[JsonDerivedType(typeof(Square), "square")]
public abstract class Shape
{
    public string? Label { get; set; }
}

public sealed class Circle : Shape
{
    public double Radius { get; set; }
}

public sealed class Square : Shape
{
    public double Side { get; set; }
}

public sealed class ShapesState
{
    public List<Shape> Shapes { get; set; } = [];

    public Shape? Main { get; set; }

    public PointStruct Origin { get; set; }

    public PointStruct? MaybePoint { get; set; }

    public int? Nothing { get; set; }

    public string? Text { get; set; }

    public Dictionary<string, List<Dictionary<string, int>>> Nested { get; set; } = [];

    public HashSet<string> Set { get; set; } = [];

    public Queue<int> Queue { get; set; } = new();

    public SortedDictionary<int, string> Sorted { get; set; } = [];

    public (int A, string B) Tuple;
}

// ---- Shapes the default serializer would not give back as written: refused at write time ----

public sealed class ObjectMemberState
{
    public object? Anything { get; set; }
}

public sealed class InterfaceMemberState
{
    public IComparable? Comparable { get; set; }
}

public abstract class Animal
{
    public string? Name { get; set; }
}

public sealed class AbstractMemberState
{
    public Animal? Pet { get; set; }
}

public sealed class ReadOnlyCollectionState
{
    public List<string> Items { get; } = [];
}

[GenerateSerializer]
public sealed class PrivateIdFieldState
{
    [Id(0)]
    private int _count;

    public int Count => _count;

    public void Add() => _count++;
}

public sealed class UnbindableConstructorState
{
    public UnbindableConstructorState(int seed)
    {
        Value = seed;
    }

    public int Value { get; set; }
}

public class BaseState
{
    public int A { get; set; }
}

public sealed class DerivedState : BaseState
{
    public int B { get; set; }
}

public sealed class NestedLossState
{
    public List<Inner> Inners { get; set; } = [];
}

public sealed class Inner
{
    public Dictionary<string, object> Bag { get; set; } = [];
}
