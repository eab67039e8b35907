using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Where states live below the provider's root <c>{container path}/{ServiceId}</c>. One znode per state,
/// <c>{root}/{grain type}/{grain key}.{state name}</c> (each part encoded by <see cref="ZNodeNames"/>, which never
/// makes a '.', so the name is unambiguous), plus its incarnation guard child <c>{state node}/{czxid}</c>: two znodes
/// per state; the grain type node (a container node) is shared by all states of the type. With
/// <c>GetStorageKey</c> the state node is the path it returns, below the root. Version 1 of this provider used
/// <c>{root}/{grain type}/{grain key}/{state name}</c> (three znodes per state); <see cref="LegacyPathFor"/> names
/// that node, for reading and migrating data written then.
/// </summary>
internal sealed class StateLayout
{
    /// <summary>The child of the root that says no state below it uses the version-1 layout (a name <see cref="ZNodeNames"/> never makes).</summary>
    public const string MarkerName = "layout.v2";

    private readonly ConcurrentDictionary<GrainType, string> _types = new();
    private readonly ConcurrentDictionary<string, string> _stateNames = new(StringComparer.Ordinal);
    private readonly Func<string, GrainId, string>? _custom;

    public StateLayout(string root, Func<string, GrainId, string>? custom)
    {
        Root = root;
        _custom = custom;
        MarkerPath = ZooKeeperPath.Combine(root, MarkerName);
    }

    /// <summary><c>{container path}/{ServiceId}</c>.</summary>
    public string Root { get; }

    /// <summary>The layout marker node.</summary>
    public string MarkerPath { get; }

    /// <summary>True when <c>GetStorageKey</c> chooses the nodes.</summary>
    public bool IsCustom => _custom is not null;

    /// <summary>The state's node, or an error (a <c>GetStorageKey</c> result that is not a valid path below the root).</summary>
    public string PathFor(string stateName, GrainId grainId, out string? error)
    {
        error = null;
        if (_custom is null)
        {
            return string.Concat([Root, "/", TypeSegment(grainId), "/", ZNodeNames.Encode(grainId.Key.ToString()!), ".", StateSegment(stateName)]);
        }

        var key = _custom(stateName, grainId);
        if (string.IsNullOrEmpty(key) || key[0] == '/')
        {
            error = $"GetStorageKey returned '{key}'; it must return a non-empty path relative to the provider's root {Root} (no leading '/')";
            return Root;
        }

        var path = Root == "/" ? "/" + key : Root + "/" + key;
        var invalid = ZooKeeperPath.GetError(path);
        if (invalid is null && (key == MarkerName || key.StartsWith(MarkerName + "/", StringComparison.Ordinal)))
        {
            invalid = $"'{MarkerName}' is the provider's own node";
        }

        if (invalid is not null)
        {
            error = $"GetStorageKey returned '{ZooKeeperText.Printable(key)}', which gives the invalid node path '{ZooKeeperText.Printable(path)}': {invalid}";
        }

        return path;
    }

    /// <summary>The state's node in the version-1 layout: <c>{root}/{grain type}/{grain key}/{state name}</c>.</summary>
    public string LegacyPathFor(string stateName, GrainId grainId)
        => string.Concat([Root, "/", TypeSegment(grainId), "/", ZNodeNames.Encode(grainId.Key.ToString()!), "/", StateSegment(stateName)]);

    /// <summary>The incarnation guard of the node created with <paramref name="czxid"/>.</summary>
    public static string GuardPath(string path, long czxid) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{path}/{czxid:x}");

    /// <summary>The nodes between the root and <paramref name="path"/> (both excluded), top down.</summary>
    public IEnumerable<string> Intermediates(string path)
    {
        var start = Root == "/" ? 1 : Root.Length + 1;
        for (var slash = path.IndexOf('/', start); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    private string TypeSegment(GrainId grainId) => _types.GetOrAdd(grainId.Type, static t => ZNodeNames.Encode(t.ToString()!));

    private string StateSegment(string stateName) => _stateNames.GetOrAdd(stateName, static n => ZNodeNames.Encode(n));
}
