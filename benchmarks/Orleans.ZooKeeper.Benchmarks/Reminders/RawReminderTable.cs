using System.Globalization;
using System.Text;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Benchmarks.Reminders;

/// <summary>
/// The reminder table's znode work done with our raw client and nothing else: the same paths (bucket by the hash's top
/// 8 bits, row named by hash, grain and name), the same transactions (create row + guard; setData at a version;
/// check guard + delete guard + delete row; bucket listings + multiRead; an upsert without an ETag reads first), a
/// fixed row payload of the provider's size,
/// no JSON, no logging, no error mapping. The ETag is "{guard}.{version}" as the provider's.
/// </summary>
internal sealed class RawReminderTable(ZooKeeperClient client, string root) : IReminderTable
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        """{"grainId":"bench/00000","reminderName":"tick","startAt":"2026-12-06T21:05:02.1234567Z","period":"00:01:00","incarnation":"0123456789abcdef"}""");

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await client.EnsurePathAsync(root, cancellationToken: cancellationToken);
        for (var b = 0; b < 256; b++)
        {
            await client.EnsurePathAsync(root + "/" + b.ToString("X2", CultureInfo.InvariantCulture), cancellationToken: cancellationToken);
        }
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var path = RowPath(entry.GrainId, entry.ReminderName);
        if (entry.ETag is { } etag)
        {
            var dot = etag.IndexOf('.', StringComparison.Ordinal);
            var stat = await client.SetDataAsync(path, Payload, int.Parse(etag.AsSpan(dot + 1), CultureInfo.InvariantCulture));
            return etag[..dot] + "." + stat.Version.ToString(CultureInfo.InvariantCulture);
        }

        // As the table does without an ETag: look first (an existing row is updated at the version read), else create.
        try
        {
            var current = await client.GetDataAsync(path);
            var updated = await client.SetDataAsync(path, Payload, current.Stat.Version);
            return "0123456789abcdef." + updated.Version.ToString(CultureInfo.InvariantCulture);
        }
        catch (NoNodeException)
        {
        }

        var guard = Guid.NewGuid().ToString("N")[..16];
        await client.MultiAsync([Op.Create(path, Payload), Op.Create(path + "/" + guard)]);
        return guard + ".0";
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        var path = RowPath(grainId, reminderName);
        var dot = eTag.IndexOf('.', StringComparison.Ordinal);
        var guard = path + "/" + eTag[..dot];
        await client.MultiAsync([Op.Check(guard, -1), Op.Delete(guard), Op.Delete(path, int.Parse(eTag.AsSpan(dot + 1), CultureInfo.InvariantCulture))]);
        return true;
    }

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var buckets = (await client.GetChildrenAsync(root)).Select(b => int.Parse(b, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture))
            .Where(b => Overlaps(b, begin, end)).ToList();
        var listings = buckets.Select(b => client.GetChildrenAsync(root + "/" + b.ToString("X2", CultureInfo.InvariantCulture)).AsTask()).ToList();
        var rows = new List<string>();
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = root + "/" + buckets[i].ToString("X2", CultureInfo.InvariantCulture);
            foreach (var child in await listings[i])
            {
                var hash = uint.Parse(child.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                if (begin < end ? hash > begin && hash <= end : hash > begin || hash <= end)
                {
                    rows.Add(bucket + "/" + child);
                }
            }
        }

        var reads = rows.Chunk(200).Select(batch => client.MultiReadAsync(batch.Select(Op.GetData)).AsTask()).ToList();
        var entries = new List<ReminderEntry>(rows.Count);
        foreach (var read in reads)
        {
            entries.AddRange((await read).OfType<GetDataOpResult>().Select(_ => new ReminderEntry()));
        }

        return new ReminderTableData(entries);
    }

    public Task<ReminderTableData> ReadRows(GrainId grainId) => throw new NotSupportedException();

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => throw new NotSupportedException();

    public async Task TestOnlyClearTable()
    {
        await client.DeleteRecursiveAsync(root);
        await StartAsync();
    }

    private static bool Overlaps(int bucket, uint begin, uint end)
    {
        var low = (uint)bucket << 24;
        var high = low | 0x00FFFFFF;
        return begin < end ? high > begin && low <= end : high > begin || low <= end;
    }

    private string RowPath(GrainId grainId, string name)
    {
        var hash = grainId.GetUniformHashCode();
        return $"{root}/{(hash >> 24).ToString("X2", CultureInfo.InvariantCulture)}/{hash.ToString("X8", CultureInfo.InvariantCulture)}.{ZooKeeperNodeNames.Encode(grainId.ToString())}.{ZooKeeperNodeNames.Encode(name)}";
    }
}
