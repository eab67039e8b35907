using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using ZkError = Orleans.ZooKeeper.Client.ErrorCode;
using static Orleans.Clustering.ZooKeeper.MembershipLayout;

namespace Orleans.Clustering.ZooKeeper;

// Consistent reads. Every canonical change (insert, update, cleanup delete) changes the table node's version or its
// child version in the same transaction, and ZooKeeper never shows a read half a transaction. A snapshot therefore
// reads the table node's stat first and last (first together with the child list, last together with the rows'
// data, each a multiRead); when both stats agree nothing canonical changed in between, and the rows belong to exactly
// that table version. Otherwise the attempt is thrown away and the table read again. Heartbeats are outside the fence
// (they change neither), as in Orleans' own providers. A sync first makes the server this session talks to catch up
// with the leader.
internal sealed partial class ZooKeeperMembershipTable
{
    /// <summary>Rows read per multiRead (two reads each), well under the packet limit for ordinary rows.</summary>
    private const int RowsPerBatch = 100;

    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    /// <summary>Every row and the table version, as one consistent snapshot.</summary>
    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
        => (await ReadSnapshotAsync(cancellationToken).ConfigureAwait(false)).ToTableData();

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    /// <summary>One silo's row (none when it does not exist) and the table version, as one consistent snapshot.</summary>
    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var table = TablePath;
        var row = RowPath(table, key);
        await SyncAsync(client, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var results = await MultiReadAsync(client, [Op.GetData(table), Op.GetData(row), Op.GetData(HeartbeatPath(row)), Op.GetData(table)], table, cancellationToken).ConfigureAwait(false);
            var first = TableStat(results[0], table);
            if (first is null)
            {
                return Snapshot.Empty.ToTableData();
            }

            if (Same(first, TableStat(results[3], table)))
            {
                var rows = DataOrNull(results[1], row) is { } rowData ? [ParseRow(key, row, rowData, results[2])] : Array.Empty<Row>();
                return new Snapshot(first, rows).ToTableData();
            }

            CheckAttempts(attempt, table);
        }
    }

    /// <summary>All rows and the table node's stat (null when it does not exist), consistent with each other.</summary>
    internal async Task<Snapshot> ReadSnapshotAsync(CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var table = TablePath;
        await SyncAsync(client, cancellationToken).ConfigureAwait(false);
        List<(SiloAddress Silo, string Path)>? known = null;
        for (var attempt = 1; ; attempt++)
        {
            // Once the rows are known (and few), one round trip reads the fence, the child list and every row: the
            // window in which a write can spoil the attempt is one request, not two.
            var result = known is { Count: <= RowsPerBatch }
                ? await ReadInOneAsync(client, table, known, cancellationToken).ConfigureAwait(false)
                : await ReadInBatchesAsync(client, table, cancellationToken).ConfigureAwait(false);
            if (result.Snapshot is { } snapshot)
            {
                return snapshot;
            }

            known = result.Silos;
            CheckAttempts(attempt, table);
            if (attempt > 1)
            {
                // Writers keep the table busy: step aside for a moment (jittered) rather than race them again at once.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + (2 * attempt))), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The table stat, child list, the rows of <paramref name="known"/> and the table stat again, in one multiRead.</summary>
    private async Task<SnapshotAttempt> ReadInOneAsync(ZooKeeperClient client, string table, List<(SiloAddress Silo, string Path)> known, CancellationToken cancellationToken)
    {
        var ops = new List<Op>((known.Count * 2) + 3) { Op.GetData(table), Op.GetChildren(table) };
        foreach (var (_, path) in known)
        {
            ops.Add(Op.GetData(path));
            ops.Add(Op.GetData(HeartbeatPath(path)));
        }

        ops.Add(Op.GetData(table));
        var results = await MultiReadAsync(client, ops, table, cancellationToken).ConfigureAwait(false);
        var first = TableStat(results[0], table);
        if (first is null || results[1] is not GetChildrenOpResult children)
        {
            return new SnapshotAttempt(Snapshot.Empty, known);
        }

        var silos = RowsOf(table, children.Children);
        if (!SameRows(silos, known) || !Same(first, TableStat(results[^1], table)))
        {
            return new SnapshotAttempt(null, silos);
        }

        var rows = new List<Row>(known.Count);
        for (var i = 0; i < known.Count; i++)
        {
            if (DataOrNull(results[2 + (2 * i)], known[i].Path) is not { } rowData)
            {
                return new SnapshotAttempt(null, silos);
            }

            rows.Add(ParseRow(known[i].Silo, known[i].Path, rowData, results[3 + (2 * i)]));
        }

        return new SnapshotAttempt(new Snapshot(first, rows), silos);
    }

    /// <summary>The child list with the table stat, then the rows in batches, the last with the table stat again.</summary>
    private async Task<SnapshotAttempt> ReadInBatchesAsync(ZooKeeperClient client, string table, CancellationToken cancellationToken)
    {
        var head = await MultiReadAsync(client, [Op.GetData(table), Op.GetChildren(table)], table, cancellationToken).ConfigureAwait(false);
        var first = TableStat(head[0], table);
        if (first is null || head[1] is not GetChildrenOpResult children)
        {
            return new SnapshotAttempt(Snapshot.Empty, null);
        }

        var silos = RowsOf(table, children.Children);
        var rows = new List<Row>(silos.Count);
        Stat? last = null;
        for (var start = 0; start < silos.Count || last is null; start += RowsPerBatch)
        {
            var batch = silos.Skip(start).Take(RowsPerBatch).ToList();
            var isLast = start + RowsPerBatch >= silos.Count;
            var ops = new List<Op>((batch.Count * 2) + 1);
            foreach (var (_, path) in batch)
            {
                ops.Add(Op.GetData(path));
                ops.Add(Op.GetData(HeartbeatPath(path)));
            }

            if (isLast)
            {
                ops.Add(Op.GetData(table));
            }

            var results = await MultiReadAsync(client, ops, table, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                if (DataOrNull(results[2 * i], batch[i].Path) is not { } rowData)
                {
                    return new SnapshotAttempt(null, silos); // Deleted since the child list was read: the child version tells too.
                }

                rows.Add(ParseRow(batch[i].Silo, batch[i].Path, rowData, results[(2 * i) + 1]));
            }

            if (isLast)
            {
                last = TableStat(results[^1], table);
            }
        }

        return new SnapshotAttempt(Same(first, last) ? new Snapshot(first, rows) : null, silos);
    }

    /// <summary>The rows among a table's children (others are logged and skipped).</summary>
    private List<(SiloAddress Silo, string Path)> RowsOf(string table, IReadOnlyList<string> children)
    {
        var silos = new List<(SiloAddress Silo, string Path)>(children.Count);
        foreach (var child in children)
        {
            if (TryParseRowName(child, out var silo))
            {
                silos.Add((silo, ZooKeeperPath.Combine(table, child)));
            }
            else
            {
                MembershipLog.ForeignChild(_logger, ZooKeeperPath.Combine(table, child));
            }
        }

        return silos;
    }

    private static bool SameRows(List<(SiloAddress Silo, string Path)> a, List<(SiloAddress Silo, string Path)> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        var paths = new HashSet<string>(a.Select(x => x.Path), StringComparer.Ordinal);
        return b.All(x => paths.Contains(x.Path));
    }

    /// <summary>One attempt: the snapshot when it was consistent, and the rows the table had (for the next attempt).</summary>
    private readonly record struct SnapshotAttempt(Snapshot? Snapshot, List<(SiloAddress Silo, string Path)>? Silos);

    private async Task SyncAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.SyncAsync(_basePath.Length == 0 ? "/" : _basePath, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("read the table", TablePath, ex);
        }
    }

    private async Task<IReadOnlyList<OpResult>> MultiReadAsync(ZooKeeperClient client, IReadOnlyList<Op> ops, string table, CancellationToken cancellationToken)
    {
        try
        {
            return await client.MultiReadAsync(ops, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("read the table", table, ex);
        }
    }

    private static bool Same(Stat? first, Stat? last)
        => first is { } a && last is { } b && a.Czxid == b.Czxid && a.Version == b.Version && a.Cversion == b.Cversion;

    private void CheckAttempts(int attempt, string table)
    {
        if (attempt >= _options.MaxReadAttempts)
        {
            throw new ZooKeeperMembershipException(
                $"ZooKeeper clustering (cluster '{ClusterId}'): the table {table} changed during each of {attempt} consecutive reads; no consistent snapshot (ZooKeeperClusteringOptions.MaxReadAttempts).",
                table);
        }

        MembershipLog.SnapshotRetry(_logger, table, attempt);
    }

    /// <summary>The table node's stat from a read result: null when the node does not exist.</summary>
    private Stat? TableStat(OpResult result, string table) => DataOrNull(result, table)?.Stat;

    /// <summary>A node's data from a read result: null when the node does not exist; any other error is thrown.</summary>
    private GetDataOpResult? DataOrNull(OpResult result, string path) => result switch
    {
        GetDataOpResult data => data,
        ErrorOpResult { Code: ZkError.NoNode } => null,
        ErrorOpResult error => throw Failure("read", path, new ZooKeeperException(error.Code, path)),
        _ => throw new ZooKeeperMembershipException($"ZooKeeper clustering (cluster '{ClusterId}'): unexpected reply {result.GetType().Name} for {path}.", path),
    };

    /// <summary>A row and its heartbeat; data that is no row is an error naming the node (never silently skipped).</summary>
    private Row ParseRow(SiloAddress silo, string path, GetDataOpResult rowData, OpResult heartbeatResult)
    {
        MembershipEntry entry;
        try
        {
            entry = MembershipEntryJson.DeserializeRow(rowData.Data);
        }
        catch (FormatException ex)
        {
            throw Corrupt(path, rowData.Data, $"its data is not a membership entry: {ex.Message}", ex);
        }

        if (!entry.SiloAddress.Equals(silo) || entry.SiloAddress.Generation != silo.Generation)
        {
            throw Corrupt(path, rowData.Data, $"its entry is for silo {entry.SiloAddress.ToParsableString()}, not for the silo its name gives", null);
        }

        var hasHeartbeat = false;
        if (DataOrNull(heartbeatResult, HeartbeatPath(path)) is { } heartbeat)
        {
            hasHeartbeat = true;
            try
            {
                entry.IAmAliveTime = MembershipEntryJson.DeserializeHeartbeat(heartbeat.Data);
            }
            catch (FormatException ex)
            {
                throw Corrupt(HeartbeatPath(path), heartbeat.Data, $"its data is not a heartbeat timestamp: {ex.Message}", ex);
            }
        }

        return new Row(entry, rowData.Stat.Version, hasHeartbeat, path);
    }

    private ZooKeeperMembershipException Corrupt(string path, byte[] data, string problem, Exception? inner)
    {
        var shown = System.Text.Encoding.UTF8.GetString(data.AsSpan(0, Math.Min(data.Length, 200)));
        return new ZooKeeperMembershipException(
            $"ZooKeeper clustering (cluster '{ClusterId}'): the membership node {path} is corrupt ({data.Length} bytes, starting '{shown}'): {problem}. " +
            "Membership reads fail until the node is repaired or removed; the silo keeps its last membership view meanwhile.",
            path,
            inner);
    }

    /// <summary>A row as read: the entry (heartbeat applied), its znode version (the ETag), whether it has a heartbeat node, its path.</summary>
    internal sealed record Row(MembershipEntry Entry, int Version, bool HasHeartbeat, string Path);

    /// <summary>A consistent read: the table node's stat (null when missing) and every row.</summary>
    internal sealed record Snapshot(Stat? Table, IReadOnlyList<Row> Rows)
    {
        public static Snapshot Empty { get; } = new(null, []);

        public TableVersion Version => Table is { } stat ? new TableVersion(stat.Version, TableETag(stat.Version)) : new TableVersion(0, AbsentTableETag);

        public MembershipTableData ToTableData()
            => new(Rows.Select(r => Tuple.Create(r.Entry, TableETag(r.Version))).ToList(), Version);
    }
}
