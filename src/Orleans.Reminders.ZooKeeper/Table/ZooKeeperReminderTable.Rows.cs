using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.Reminders.ZooKeeper;

// Row-level helpers of the table: listing, batched reads, the create transaction, errors.
internal sealed partial class ZooKeeperReminderTable
{
    /// <summary>A node's children; none when the node does not exist (a bucket with no row yet).</summary>
    private async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await Connection.Client.GetChildrenAsync(path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    /// <summary>Reads rows in multiRead batches of <c>ReadBatchSize</c>, all batches in flight at once; a row removed meanwhile is left out.</summary>
    private async Task<List<ReminderEntry>> ReadRowsAsync(List<string> rows, CancellationToken cancellationToken)
    {
        var client = Connection.Client;
        var batches = rows.Chunk(_options.ReadBatchSize).Select(batch => (Paths: batch, Reply: client.MultiReadAsync(batch.Select(Op.GetData), cancellationToken).AsTask())).ToList();
        var entries = new List<ReminderEntry>(rows.Count);
        foreach (var (paths, reply) in batches)
        {
            var results = await reply.ConfigureAwait(false);
            for (var i = 0; i < paths.Length; i++)
            {
                switch (results[i])
                {
                    case GetDataOpResult data:
                        entries.Add(Decode(data.Data, data.Stat.Version, paths[i]));
                        break;
                    case ErrorOpResult { Code: Orleans.ZooKeeper.Client.ErrorCode.NoNode }:
                        break; // removed since the listing
                    case ErrorOpResult error:
                        throw new ZooKeeperException(error.Code, paths[i], $"reading the row failed ({error.Code})");
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// Creates the row and its incarnation guard in one transaction; the new ETag, or null when someone created the
    /// row first. Creates the row's bucket first when it does not exist yet.
    /// </summary>
    private async Task<string?> TryCreateAsync(ZooKeeperClient client, string path, ReminderEntry entry, CancellationToken cancellationToken)
    {
        var incarnation = ReminderRowCodec.NewIncarnation();
        var acl = Connection.NodeAcl;
        Op[] ops = [Op.Create(path, ReminderRowCodec.Encode(entry, incarnation), CreateMode.Persistent, acl), Op.Create(path + "/" + incarnation, default, CreateMode.Persistent, acl)];
        for (var bucketMade = false; ; bucketMade = true)
        {
            try
            {
                var results = await client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
                return ReminderRowCodec.ETag(incarnation, ((CreateOpResult)results[0]).Stat?.Version ?? 0);
            }
            catch (NodeExistsException)
            {
                return null;
            }
            catch (NoNodeException) when (!bucketMade)
            {
                await EnsureBucketAsync(client, entry.GrainId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task EnsureBucketAsync(ZooKeeperClient client, GrainId grainId, CancellationToken cancellationToken)
    {
        var bucket = ReminderLayout.BucketOf(grainId.GetUniformHashCode());
        await client.EnsurePathAsync(Layout.BucketPath(bucket), Connection.NodeAcl, cancellationToken).ConfigureAwait(false);
    }

    private static ReminderEntry Decode(byte[] data, int version, string path)
    {
        try
        {
            return ReminderRowCodec.Decode(data, version);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"the row {path} is not a reminder row this table wrote: {ex.Message}", ex);
        }
    }

    private string Upserted(string path, string etag)
    {
        ReminderLog.Upserted(_logger, path, etag);
        return etag;
    }

    /// <summary>Another writer got in between: go again, a bounded number of times.</summary>
    private void Raced(string operation, string path, int attempt)
    {
        if (attempt >= MaxAttempts)
        {
            throw new ZooKeeperReminderTableException($"ZooKeeper reminder table (service '{_serviceId}'): {operation} of {path} lost the race to other writers {attempt} times in a row; giving up.");
        }

        ReminderLog.Raced(_logger, operation, path, attempt);
    }

    private ZooKeeperReminderTableException Failure(string operation, GrainId? grainId, string? reminderName, string? path, Exception ex)
    {
        var about = grainId is { } g ? $" grain {g}" + (reminderName is null ? string.Empty : $", reminder '{ZooKeeperText.Printable(reminderName)}'") : string.Empty;
        var at = path is null ? string.Empty : $" at {path}";
        ReminderLog.Failed(_logger, ex, operation, grainId?.ToString(), reminderName, path);
        return new ZooKeeperReminderTableException($"ZooKeeper reminder table (service '{_serviceId}') could not {operation}{about}{at}: {ex.Message}", ex);
    }
}
