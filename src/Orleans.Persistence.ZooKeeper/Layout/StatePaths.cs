using System.Runtime.CompilerServices;
using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// A state's node path and its current incarnation guard's path, kept with the grain state object the calls come
/// with (an activation passes the same one every time), so steady reads and writes build no path strings.
/// </summary>
internal sealed class StatePaths
{
    private static readonly ConditionalWeakTable<object, StatePaths> Cache = new();

    private Guard? _guard;

    private StatePaths(GrainId grainId, string stateName, string path)
    {
        GrainId = grainId;
        StateName = stateName;
        Path = path;
    }

    public GrainId GrainId { get; }

    public string StateName { get; }

    /// <summary>The state node.</summary>
    public string Path { get; }

    /// <summary>The paths of <paramref name="grainState"/>'s state, from its cache entry or made by <paramref name="layout"/> (null with <paramref name="error"/> set when the layout refuses them).</summary>
    public static StatePaths? For(object grainState, StateLayout layout, string stateName, GrainId grainId, out string? error)
    {
        error = null;
        if (Cache.TryGetValue(grainState, out var cached) && cached.GrainId.Equals(grainId) && string.Equals(cached.StateName, stateName, StringComparison.Ordinal) && ReferenceEquals(cached.Layout, layout))
        {
            return cached;
        }

        var path = layout.PathFor(stateName, grainId, out error);
        if (error is not null)
        {
            return null;
        }

        var paths = new StatePaths(grainId, stateName, path) { Layout = layout };
        Cache.AddOrUpdate(grainState, paths);
        return paths;
    }

    /// <summary>The guard path of the incarnation created with <paramref name="czxid"/>.</summary>
    public string GuardPath(long czxid)
    {
        var guard = Volatile.Read(ref _guard);
        if (guard is null || guard.Czxid != czxid)
        {
            guard = new Guard(czxid, StateLayout.GuardPath(Path, czxid));
            Volatile.Write(ref _guard, guard);
        }

        return guard.Path;
    }

    private StateLayout? Layout { get; init; }

    private sealed record Guard(long Czxid, string Path);
}
