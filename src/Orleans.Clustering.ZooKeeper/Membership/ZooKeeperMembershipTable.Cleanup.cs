using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using ZkError = Orleans.ZooKeeper.Client.ErrorCode;
using static Orleans.Clustering.ZooKeeper.MembershipLayout;

namespace Orleans.Clustering.ZooKeeper;

// CleanupDefunctSiloEntries: rows that are not Active and show no activity since the cutoff go, each in one
// transaction (heartbeat + row, the row conditional on the version it was judged by). The table version stays; the
// table node's child version changes, which is what fences concurrent reads.
internal sealed partial class ZooKeeperMembershipTable
{
    /// <summary>How often one row is judged again when it changed between the read and the delete.</summary>
    private const int CleanupAttemptsPerRow = 3;

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    /// <summary>
    /// Deletes the rows whose status is not <see cref="SiloStatus.Active"/> and whose last activity — the latest of
    /// start time, heartbeat and every suspicion vote — is before <paramref name="beforeDate"/>.
    /// </summary>
    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        var snapshot = await ReadSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var client = Container.Client;
        foreach (var candidate in snapshot.Rows)
        {
            var row = candidate;
            for (var attempt = 1; row is not null && IsDefunct(row.Entry, beforeDate); attempt++)
            {
                if (attempt > CleanupAttemptsPerRow)
                {
                    MembershipLog.RowNotRemoved(_logger, row.Path, $"it kept changing ({CleanupAttemptsPerRow} attempts)");
                    break;
                }

                if (await TryDeleteRowAsync(client, row, beforeDate, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                // Changed since it was judged: judge the current row.
                row = (await ReadSnapshotRowAsync(row.Entry.SiloAddress, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>True when deleted (or gone already); false when the row changed since it was read.</summary>
    private async Task<bool> TryDeleteRowAsync(ZooKeeperClient client, Row row, DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        List<Op> ops = row.HasHeartbeat ? [Op.Delete(HeartbeatPath(row.Path), -1)] : [];
        ops.Add(Op.Delete(row.Path, row.Version));
        try
        {
            await client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
            MembershipLog.RowRemoved(_logger, row.Path, row.Entry.Status.ToString(), LastActivity(row.Entry), beforeDate);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Results is not null && ex.Code is ZkError.BadVersion or ZkError.NoNode)
        {
            // NoNode on the row: gone already. Otherwise the row or its heartbeat changed: read it again.
            return ex.Code == ZkError.NoNode && ex.FailedOperationIndex == ops.Count - 1;
        }
        catch (ZooKeeperException ex) when (ex.Results is not null && ex.Code == ZkError.NotEmpty)
        {
            MembershipLog.RowNotRemoved(_logger, row.Path, "it has children besides its heartbeat");
            return true;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("delete the defunct row", row.Path, ex);
        }
    }

    private async Task<Row?> ReadSnapshotRowAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        var snapshot = await ReadSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.Rows.FirstOrDefault(r => r.Entry.SiloAddress.Equals(silo) && r.Entry.SiloAddress.Generation == silo.Generation);
    }

    internal static bool IsDefunct(MembershipEntry entry, DateTimeOffset beforeDate)
        => entry.Status != SiloStatus.Active && new DateTimeOffset(LastActivity(entry), TimeSpan.Zero) < beforeDate;

    /// <summary>The latest of start time, heartbeat and every suspicion vote (UTC).</summary>
    internal static DateTime LastActivity(MembershipEntry entry)
    {
        var last = Utc(entry.StartTime);
        if (Utc(entry.IAmAliveTime) > last)
        {
            last = Utc(entry.IAmAliveTime);
        }

        foreach (var (_, time) in entry.SuspectTimes ?? [])
        {
            if (Utc(time) > last)
            {
                last = Utc(time);
            }
        }

        return last;

        static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
    }
}
