using System.Globalization;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Contention;

/// <summary>
/// Ephemeral-sequential nodes with a random id in their name (<c>{prefix}{id}-{sequence}</c>, Curator's "protected"
/// mode): when the reply to a create is lost with the connection the create may have been applied, and the node is
/// then found by its id and adopted instead of created twice. Only a node owned by the client's current session is
/// ever adopted, so a node left by an expired session (still visible for a moment, apache/curator#1121) never is.
/// </summary>
internal static class ProtectedNodes
{
    /// <summary>Digits of ZooKeeper's sequence suffix.</summary>
    private const int SequenceDigits = 10;

    /// <summary>A new random id (32 hex digits).</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>The sequence number at the end of a sequential node's name, or -1 when there is none.</summary>
    public static long SequenceOf(string name)
    {
        if (name.Length < SequenceDigits)
        {
            return -1;
        }

        return long.TryParse(name.AsSpan(name.Length - SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : -1;
    }

    /// <summary>Children in queue order: by sequence number, then by name; names without a sequence last.</summary>
    public static List<string> InQueueOrder(IEnumerable<string> children)
    {
        var list = children.ToList();
        list.Sort(static (a, b) =>
        {
            var (sa, sb) = (SequenceOf(a), SequenceOf(b));
            if (sa < 0 != sb < 0)
            {
                return sa < 0 ? 1 : -1;
            }

            var bySequence = sa.CompareTo(sb);
            return bySequence != 0 ? bySequence : string.CompareOrdinal(a, b);
        });
        return list;
    }

    /// <summary>
    /// Creates <c>{createPrefix}NNNNNNNNNN</c> (ephemeral-sequential, parents created when missing), where
    /// <paramref name="createPrefix"/> ends with the node's random id and '-'. Transient failures are retried with
    /// <paramref name="retry"/>; after one that may have applied the create, the node is looked for first.
    /// </summary>
    public static async Task<CreateResult> CreateOrAdoptAsync(ZooKeeperClient client, string createPrefix, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, ZooKeeperRetryPolicy retry, CancellationToken cancellationToken)
    {
        var uncertain = false;
        return await retry.ExecuteAsync(
            async token =>
            {
                if (uncertain && await FindOwnAsync(client, createPrefix, token).ConfigureAwait(false) is { } found)
                {
                    return found;
                }

                // From here a failure may leave the node behind: the next attempt looks for it first.
                uncertain = true;
                return await client.CreateWithParentsAsync(createPrefix, data, CreateMode.EphemeralSequential, acl, null, token).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The node named <c>{createPrefix}NNNNNNNNNN</c> owned by the client's current session, or null.</summary>
    public static async Task<CreateResult?> FindOwnAsync(ZooKeeperClient client, string createPrefix, CancellationToken cancellationToken)
    {
        var slash = createPrefix.LastIndexOf('/');
        var parent = slash <= 0 ? "/" : createPrefix[..slash];
        var namePrefix = createPrefix[(slash + 1)..];
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(parent, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return null;
        }

        foreach (var child in children)
        {
            if (!child.StartsWith(namePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var path = ZooKeeperPath.Combine(parent, child);
            if (await client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is { } stat && stat.EphemeralOwner == client.SessionId)
            {
                return new CreateResult(path, stat);
            }
        }

        return null;
    }

    /// <summary>
    /// Deletes every node named <c>{createPrefix}NNNNNNNNNN</c> the client's current session owns (a create in doubt):
    /// retried with <paramref name="retry"/>, never throws (the nodes are ephemeral and go with the session at the latest).
    /// </summary>
    public static async Task RemoveOwnAsync(ZooKeeperClient client, string createPrefix, ZooKeeperRetryPolicy retry)
    {
        try
        {
            await retry.ExecuteAsync(
                async t =>
                {
                    while (await FindOwnAsync(client, createPrefix, t).ConfigureAwait(false) is { } leftover)
                    {
                        await DeleteIfThereAsync(client, leftover.Path, t).ConfigureAwait(false);
                    }

                    return true;
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ZooKeeperException or ObjectDisposedException)
        {
            // Not reachable now: it goes with the session.
        }
    }

    /// <summary>Deletes a node (any version); one that is gone already is what was wanted.</summary>
    public static async Task DeleteIfThereAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }
}
