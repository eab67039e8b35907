using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Reminders.ZooKeeper;

/// <summary>
/// Orleans' reminder table in ZooKeeper (layout: <see cref="ReminderLayout"/>). Upserts are decided by znode version
/// (last writer wins, no write lost between two writers), removes by the ETag's incarnation and version in one
/// transaction, reads are plain reads of the rows (a range read lists only the buckets it overlaps).
/// </summary>
internal sealed partial class ZooKeeperReminderTable : IReminderTable
{
    /// <summary>The provider's name with the host: its own container's name (health check <c>zookeeper:reminders</c>).</summary>
    public const string ProviderName = "reminders";

    private const int MaxAttempts = 20;

    private readonly ZooKeeperProviderHost _host;
    private readonly ZooKeeperReminderTableOptions _options;
    private readonly string _serviceId;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private ZooKeeperConnection? _connection;
    private ReminderLayout? _layout;

    public ZooKeeperReminderTable(ZooKeeperProviderHost host, IOptions<ZooKeeperReminderTableOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<ZooKeeperReminderTable> logger)
    {
        _host = host;
        _options = options.Value;
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;
    }

    /// <summary>The table's node (known once started).</summary>
    internal string Root => Layout.Root;

    internal ZooKeeperConnection Connection => Volatile.Read(ref _connection) ?? throw new InvalidOperationException("The ZooKeeper reminder table has not been started.");

    private ReminderLayout Layout => Volatile.Read(ref _layout) ?? throw new InvalidOperationException("The ZooKeeper reminder table has not been started.");

    /// <summary>Gets the connection from the provider host and makes sure of the table's node.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                return;
            }

            var connection = await _host.ConnectAsync(ProviderName, _options, cancellationToken).ConfigureAwait(false);
            try
            {
                var layout = new ReminderLayout(connection.BasePath, _serviceId);
                await connection.Client.EnsurePathAsync(layout.Root, connection.NodeAcl, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _layout, layout);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Volatile.Write(ref _connection, connection);
            ReminderLog.Started(_logger, _serviceId, Layout.Root, connection.ContainerName);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("start", null, null, null, ex);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Hands the connection back to the provider host.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    /// <summary>One getData; null when there is no such row.</summary>
    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        var path = Layout.RowPath(grainId, reminderName);
        try
        {
            var (data, stat) = await Connection.Client.GetDataAsync(path, null, cancellationToken).ConfigureAwait(false);
            return Decode(data, stat.Version, path);
        }
        catch (NoNodeException)
        {
            return null;
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("read a row", grainId, reminderName, path, ex);
        }
    }

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    /// <summary>The grain's bucket listing (its rows share a name prefix), then its rows in one multiRead.</summary>
    public async Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken)
    {
        var bucket = Layout.BucketPath(ReminderLayout.BucketOf(grainId.GetUniformHashCode()));
        try
        {
            var prefix = ReminderLayout.GrainPrefix(grainId);
            var children = await ListAsync(bucket, cancellationToken).ConfigureAwait(false);
            var rows = children.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).Select(c => bucket + "/" + c).ToList();
            return new ReminderTableData(await ReadRowsAsync(rows, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("read a grain's rows", grainId, null, bucket, ex);
        }
    }

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <summary>
    /// The rows whose grain hash is in Orleans' range (<c>(begin, end]</c>, wrapping around when begin ≥ end): the
    /// buckets that exist, then only the overlapping ones, then only the rows in range, in multiRead batches.
    /// </summary>
    public async Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken)
    {
        var layout = Layout;
        try
        {
            var buckets = (await ListAsync(layout.Root, cancellationToken).ConfigureAwait(false))
                .Select(ReminderLayout.ParseBucket)
                .Where(b => b >= 0 && ReminderLayout.Overlaps(b, begin, end))
                .ToList();
            var listings = buckets.Select(b => ListAsync(layout.BucketPath(b), cancellationToken)).ToList(); // pipelined
            var rows = new List<string>();
            for (var i = 0; i < buckets.Count; i++)
            {
                var path = layout.BucketPath(buckets[i]);
                foreach (var child in await listings[i].ConfigureAwait(false))
                {
                    if (ReminderLayout.HashOf(child) is { } hash && ReminderLayout.InRange(hash, begin, end))
                    {
                        rows.Add(path + "/" + child);
                    }
                }
            }

            var entries = await ReadRowsAsync(rows, cancellationToken).ConfigureAwait(false);
            ReminderLog.RangeRead(_logger, begin, end, entries.Count, buckets.Count);
            return new ReminderTableData(entries);
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure($"read the range ({begin:X8}, {end:X8}]", null, null, layout.Root, ex);
        }
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <summary>
    /// Writes the row and returns its new ETag. With the ETag of the row's current version: one setData checked
    /// against that version. Otherwise read, then setData checked against the version read (another writer in
    /// between: read again); no row: create it with its guard in one transaction (someone else created it first:
    /// update that one).
    /// </summary>
    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.ReminderName);
        var path = Layout.RowPath(entry.GrainId, entry.ReminderName);
        try
        {
            var client = Connection.Client;
            if (ReminderRowCodec.TryParseETag(entry.ETag, out var knownIncarnation, out var knownVersion))
            {
                try
                {
                    var stat = await client.SetDataAsync(path, ReminderRowCodec.Encode(entry, knownIncarnation), knownVersion, cancellationToken).ConfigureAwait(false);
                    return Upserted(path, ReminderRowCodec.ETag(knownIncarnation, stat.Version));
                }
                catch (Exception ex) when (ex is BadVersionException or NoNodeException)
                {
                    // Changed or removed since that ETag: the general way below.
                }
            }

            for (var attempt = 1; ; attempt++)
            {
                DataResult current;
                try
                {
                    current = await client.GetDataAsync(path, null, cancellationToken).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    if (await TryCreateAsync(client, path, entry, cancellationToken).ConfigureAwait(false) is { } created)
                    {
                        return Upserted(path, created);
                    }

                    Raced("upsert", path, attempt);
                    continue;
                }

                var incarnation = ReminderRowCodec.IncarnationOf(current.Data);
                try
                {
                    var stat = await client.SetDataAsync(path, ReminderRowCodec.Encode(entry, incarnation), current.Stat.Version, cancellationToken).ConfigureAwait(false);
                    return Upserted(path, ReminderRowCodec.ETag(incarnation, stat.Version));
                }
                catch (Exception ex) when (ex is BadVersionException or NoNodeException)
                {
                    Raced("upsert", path, attempt);
                }
            }
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("upsert a row", entry.GrainId, entry.ReminderName, path, ex);
        }
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <summary>
    /// One transaction: the guard of the ETag's incarnation exists, then it and the row (at the ETag's version) are
    /// deleted. False when the row is not there or the ETag is not its current one.
    /// </summary>
    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        var path = Layout.RowPath(grainId, reminderName);
        if (!ReminderRowCodec.TryParseETag(eTag, out var incarnation, out var version))
        {
            ReminderLog.Removed(_logger, path, eTag ?? "<null>", false);
            return false; // not an ETag this table gives out: it matches no row
        }

        try
        {
            var guard = path + "/" + incarnation;
            await Connection.Client.MultiAsync([Op.Check(guard, -1), Op.Delete(guard), Op.Delete(path, version)], cancellationToken).ConfigureAwait(false);
            ReminderLog.Removed(_logger, path, eTag, true);
            return true;
        }
        catch (Exception ex) when (ex is NoNodeException or BadVersionException or NotEmptyException)
        {
            ReminderLog.Removed(_logger, path, eTag, false);
            return false;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("remove a row", grainId, reminderName, path, ex);
        }
    }

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <summary>Deletes every row (the table's node stays).</summary>
    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        var root = Layout.Root;
        try
        {
            var client = Connection.Client;
            foreach (var bucket in await ListAsync(root, cancellationToken).ConfigureAwait(false))
            {
                await client.DeleteRecursiveAsync(root + "/" + bucket, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("clear the table", null, null, root, ex);
        }
    }
}
