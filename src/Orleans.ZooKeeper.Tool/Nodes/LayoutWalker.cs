using System.Globalization;
using System.Text;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Contention;
using Orleans.ZooKeeper.Tool.States;

namespace Orleans.ZooKeeper.Tool.Nodes;

/// <summary>What a node is in our layout.</summary>
internal enum NodeKind
{
    Plain,
    StorageRoot,
    LayoutMarker,
    GrainType,
    State,
    NotAState,
    Guard,
    StaleGuard,
    RecipeFolder,
    Recipe,
    Contender,
    AdvertisementFolder,
    Advertisement,
    MembershipTable,
    SiloRow,
    Heartbeat,
}

/// <summary>One node met by the walk: its place, what it is, a description for people, and what was read of it.</summary>
/// <remarks><see cref="Problem"/>: for a state whose bytes do not decode as their format mark says, why (else null).</remarks>
internal sealed record LayoutNode(string Path, int Depth, NodeKind Kind, string Description, Stat Stat, byte[] Data, IReadOnlyList<string> Children, int Position, string? Problem = null);

/// <summary>
/// Walks a subtree and names every node by our layout — grain storage (service root, layout marker, grain types,
/// states, incarnation guards), recipes (election/lock/semaphore folders, queues, contenders), advertisements and
/// membership tables — so <c>tree</c> can print it and <c>doctor</c> can look for what is wrong.
/// </summary>
internal sealed class LayoutWalker
{
    private static readonly string[] RecipeFolders = [ZooKeeperLeaderElection.ElectionFolder, ZooKeeperContainerLockExtensions.LocksFolder, ZooKeeperContainerLockExtensions.SemaphoresFolder];

    private readonly ZooKeeperClient _client;
    private readonly int _maxDepth;
    private readonly int _maxNodes;
    private int _visited;

    public LayoutWalker(ZooKeeperClient client, int maxDepth, int maxNodes)
    {
        _client = client;
        _maxDepth = maxDepth;
        _maxNodes = maxNodes;
    }

    /// <summary>True when the walk stopped at the node limit.</summary>
    public bool Truncated { get; private set; }

    public async IAsyncEnumerable<LayoutNode> WalkAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parentPath = ZooKeeperPath.GetParent(path);
        var parentKind = NodeKind.Plain;
        Stat parentStat = default;
        if (parentPath is not null && await ReadAsync(parentPath, cancellationToken).ConfigureAwait(false) is { } parent)
        {
            var grandParent = ZooKeeperPath.GetParent(parentPath);
            var grandKind = grandParent is not null && await ReadAsync(grandParent, cancellationToken).ConfigureAwait(false) is { } g ? Classify(NodeKind.Plain, default, ZooKeeperPath.GetName(grandParent), g.Children) : NodeKind.Plain;
            parentKind = Classify(grandKind, default, ZooKeeperPath.GetName(parentPath), parent.Children);
            parentStat = parent.Stat;
        }

        await foreach (var node in WalkAsync(path, 0, parentKind, parentStat, 0, cancellationToken).ConfigureAwait(false))
        {
            yield return node;
        }
    }

    private async IAsyncEnumerable<LayoutNode> WalkAsync(string path, int depth, NodeKind parentKind, Stat parentStat, int position, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (++_visited > _maxNodes)
        {
            Truncated = true;
            yield break;
        }

        if (await ReadAsync(path, cancellationToken).ConfigureAwait(false) is not { } read)
        {
            yield break; // deleted meanwhile
        }

        var name = path == "/" ? "/" : ZooKeeperPath.GetName(path);
        var kind = read.Denied ? NodeKind.Plain : Classify(parentKind, parentStat, name, read.Children);
        var content = kind == NodeKind.State ? StateContent.Decode(read.Data) : null;
        var description = read.Denied ? "no permission to read it (its ACL does not admit this session: give credentials)" : Describe(kind, name, (read.Stat, read.Data, read.Children), position, content);
        yield return new LayoutNode(path, depth, kind, description, read.Stat, read.Data, read.Children, position, content?.Problem);
        if (depth >= _maxDepth)
        {
            yield break;
        }

        var children = kind == NodeKind.Recipe || kind == NodeKind.AdvertisementFolder
            ? read.Children.OrderBy(c => QueueReader.SequenceOf(c) < 0).ThenBy(QueueReader.SequenceOf).ThenBy(c => c, StringComparer.Ordinal).ToList()
            : read.Children.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < children.Count; i++)
        {
            await foreach (var child in WalkAsync(ZooKeeperPath.Combine(path, children[i]), depth + 1, kind, read.Stat, i, cancellationToken).ConfigureAwait(false))
            {
                yield return child;
            }
        }
    }

    private async Task<(Stat Stat, byte[] Data, IReadOnlyList<string> Children, bool Denied)?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var results = await _client.MultiReadAsync([Op.GetData(path), Op.GetChildren(path)], cancellationToken).ConfigureAwait(false);
        if (results[0] is ErrorOpResult { Code: Client.ErrorCode.NoAuth })
        {
            // Shown, not skipped: the operator needs to know the walk could not see inside.
            return await _client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is { } stat ? (stat, [], [], true) : null;
        }

        if (results[0] is not GetDataOpResult data)
        {
            return null;
        }

        return (data.Stat, data.Data, results[1] is GetChildrenOpResult children ? children.Children : [], false);
    }

    private static NodeKind Classify(NodeKind parentKind, Stat parentStat, string name, IReadOnlyList<string> children)
    {
        switch (parentKind)
        {
            case NodeKind.StorageRoot:
                return name == "layout.v2" ? NodeKind.LayoutMarker : NodeKind.GrainType;
            case NodeKind.GrainType:
                return name.IndexOf('.', StringComparison.Ordinal) > 0 ? NodeKind.State : NodeKind.NotAState;
            case NodeKind.State when name == parentStat.Czxid.ToString("x", CultureInfo.InvariantCulture):
                return NodeKind.Guard;
            case NodeKind.State when children.Count == 0 && name.All(Uri.IsHexDigit):
                return NodeKind.StaleGuard;
            case NodeKind.State or NodeKind.NotAState:
                return NodeKind.Plain;
            case NodeKind.RecipeFolder:
                return NodeKind.Recipe;
            case NodeKind.Recipe:
                return NodeKind.Contender;
            case NodeKind.AdvertisementFolder:
                return NodeKind.Advertisement;
            case NodeKind.MembershipTable when name.Contains('@', StringComparison.Ordinal):
                return NodeKind.SiloRow;
            case NodeKind.SiloRow when name == "IAmAlive":
                return NodeKind.Heartbeat;
        }

        if (children.Contains("layout.v2", StringComparer.Ordinal))
        {
            return NodeKind.StorageRoot;
        }

        if (RecipeFolders.Contains(name, StringComparer.Ordinal))
        {
            return NodeKind.RecipeFolder;
        }

        if (name == "advertised")
        {
            return NodeKind.AdvertisementFolder;
        }

        return children.Any(c => c.Contains('@', StringComparison.Ordinal) && c.Contains(':', StringComparison.Ordinal)) ? NodeKind.MembershipTable : NodeKind.Plain;
    }

    private static string Describe(NodeKind kind, string name, (Stat Stat, byte[] Data, IReadOnlyList<string> Children) node, int position, StateContent? content)
    {
        var stat = node.Stat;
        return kind switch
        {
            NodeKind.StorageRoot => $"grain storage of service '{Decoded(name)}'",
            NodeKind.LayoutMarker => $"storage layout version {Encoding.UTF8.GetString(node.Data)}",
            NodeKind.GrainType => $"grain type '{Decoded(name)}', {node.Children.Count} state(s)",
            NodeKind.State => DescribeState(name, node.Stat, content!),
            NodeKind.NotAState => "not a state of this layout (a version-1 grain key folder, or a foreign node)",
            NodeKind.Guard => "incarnation guard",
            NodeKind.StaleGuard => "stale incarnation guard (not the state node's czxid)",
            NodeKind.RecipeFolder => name switch { "election" => "leader elections", "locks" => "locks", _ => "semaphores" },
            NodeKind.Recipe => $"{node.Children.Count} contender(s)",
            NodeKind.Contender => $"{(position == 0 ? "first (leader / holder)" : "waiting #" + position.ToString(CultureInfo.InvariantCulture))}, fencing token {stat.Czxid}, {Owner(stat)}, {Text(node.Data)}",
            NodeKind.AdvertisementFolder => $"{node.Children.Count} advertisement(s)",
            NodeKind.Advertisement => $"{Owner(stat)}, {Text(node.Data)}",
            NodeKind.MembershipTable => $"membership table, version {stat.Version}, {node.Children.Count(c => c.Contains('@', StringComparison.Ordinal))} silo(s)",
            NodeKind.SiloRow => "silo row, ETag " + stat.Version.ToString(CultureInfo.InvariantCulture) + StatusOf(node.Data),
            NodeKind.Heartbeat => "IAmAlive " + Text(node.Data),
            _ => node.Data.Length == 0 ? $"{node.Children.Count} child(ren)" : $"{node.Data.Length} B: {Text(node.Data)}",
        };
    }

    private static string DescribeState(string name, Stat stat, StateContent content)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return $"state '{Decoded(name[(dot + 1)..])}' of key '{Decoded(name[..dot])}': {content.Format}, {content.Size} B, ETag {Persistence.ZooKeeper.StateETag.Format(stat)}{(content.Problem is null ? string.Empty : " — unreadable: " + content.Problem)}";
    }

    private static string StatusOf(byte[] data)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(data);
            return Cluster.MembersCommand.StatusOf(document.RootElement) is { } status ? ", " + status : string.Empty;
        }
        catch (System.Text.Json.JsonException)
        {
            return ", unreadable row";
        }
    }

    private static string Owner(Stat stat) => stat.EphemeralOwner == 0 ? "persistent (no session)" : "session 0x" + stat.EphemeralOwner.ToString("x", CultureInfo.InvariantCulture);

    private static string Decoded(string name) => StateStore.TryDecode(name) ?? name;

    private static string Text(byte[] data)
    {
        var text = StateContent.Escaped(data, 120);
        return text.Replace("\\n", "; ", StringComparison.Ordinal).TrimEnd(' ', ';');
    }
}
