using System.Globalization;
using System.Text;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Connecting;

namespace Orleans.ZooKeeper.Tool.Contention;

/// <summary>One contender node of an election, lock or semaphore queue, in queue order.</summary>
internal sealed record QueueEntry(string Recipe, string Name, int Position, string Role, long FencingToken, string Session, bool Ephemeral, double AgeSeconds, string Data);

/// <summary>
/// Reads the recipes' queues: <c>{base path}/{folder}/{name}/{id}-{sequence}</c>, ephemeral-sequential nodes whose
/// order is their sequence number; the first <c>slots</c> hold (lead, have the lock, have a lease), the rest wait. A
/// node's czxid is its fencing token.
/// </summary>
internal static class QueueReader
{
    public static async Task<IReadOnlyList<string>> NamesAsync(ToolSession session, string folder, CancellationToken cancellationToken)
    {
        try
        {
            return (await session.Client.GetChildrenAsync(session.PathOf(folder), null, cancellationToken).ConfigureAwait(false)).Order(StringComparer.Ordinal).ToList();
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    /// <summary>The queue below <paramref name="parent"/> (labelled <paramref name="label"/>): the first <paramref name="slots"/> nodes get <paramref name="holderRole"/>.</summary>
    public static async Task<List<QueueEntry>> ReadAsync(ToolSession session, string parent, string label, int slots, string holderRole, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await session.Client.GetChildrenAsync(parent, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }

        var ordered = children.Select(c => (Name: c, Sequence: SequenceOf(c))).OrderBy(c => c.Sequence < 0).ThenBy(c => c.Sequence).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var entries = new List<QueueEntry>();
        var results = ordered.Count == 0 ? [] : await session.Client.MultiReadAsync(ordered.Select(c => Op.GetData(parent + "/" + c.Name)), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < ordered.Count; i++)
        {
            if (results[i] is not GetDataOpResult node)
            {
                continue;
            }

            var position = entries.Count;
            var role = position < slots ? holderRole : "waiting #" + (position - slots + 1).ToString(CultureInfo.InvariantCulture);
            entries.Add(new QueueEntry(
                label,
                ordered[i].Name,
                position,
                role,
                node.Stat.Czxid,
                node.Stat.EphemeralOwner == 0 ? "none (persistent)" : "0x" + node.Stat.EphemeralOwner.ToString("x", CultureInfo.InvariantCulture),
                node.Stat.EphemeralOwner != 0,
                Math.Max(0, (now - DateTimeOffset.FromUnixTimeMilliseconds(node.Stat.Ctime)).TotalSeconds),
                OneLine(node.Data)));
        }

        return entries;
    }

    /// <summary>The sequence number ZooKeeper appended (10 digits), or -1.</summary>
    public static long SequenceOf(string name)
        => name.Length >= 10 && long.TryParse(name.AsSpan(name.Length - 10), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : -1;

    private static string OneLine(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data.AsSpan(0, Math.Min(data.Length, 512)));
        return string.Join("; ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
