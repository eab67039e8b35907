using System.Globalization;
using System.Text.Json;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary>The first line of a backup.</summary>
internal sealed record BackupHeader(string Kind, int Version, string Service, string Root, DateTimeOffset Exported, int Count)
{
    public const string ExpectedKind = "orleans-zk/states";
}

/// <summary>One state in a backup: where it was, its ETag and last write then, and its exact stored bytes (base64).</summary>
internal sealed record BackupRecord(string GrainType, string GrainKey, string State, string Etag, long Modified, string Data);

/// <summary>
/// <c>states export</c> / <c>states import</c>. A backup is JSON lines: a <see cref="BackupHeader"/>, then one
/// <see cref="BackupRecord"/> per state with the stored bytes exactly as they were (format mark included), so a
/// restore gives every state back byte for byte. Each record is restored on its own, atomically (one create or one
/// guarded transaction), so an interrupted import leaves every state either as it was or as in the backup; running it
/// again skips the states already equal to the backup.
/// </summary>
internal static class StateBackup
{
    public static async Task<int> ExportAsync(StateStore store, string? type, string? prefix, Report report, CancellationToken cancellationToken)
    {
        var types = await store.TypesAsync(type, cancellationToken).ConfigureAwait(false);
        var listing = await store.ReadAllAsync(types, prefix, cancellationToken).ConfigureAwait(false);
        var states = listing.States;
        report.JsonLine(new BackupHeader(BackupHeader.ExpectedKind, 1, store.Service, store.Root, DateTimeOffset.UtcNow, states.Count));
        foreach (var state in states)
        {
            report.JsonLine(new BackupRecord(state.Type, state.Key, state.State, state.ETag, state.Stat.Mtime, Convert.ToBase64String(state.Data)));
        }

        report.Note($"exported {states.Count} state(s) of service '{store.Service}' from {store.Root}");
        foreach (var path in listing.Unreadable)
        {
            report.Note($"orleans-zk: NOT in the backup (this session may not read it): {path}");
        }

        if (listing.NotStates > 0)
        {
            report.Note($"orleans-zk: NOT in the backup: {listing.NotStates} node(s) below the type nodes that are not states of the current layout (version-1 states move at their next write; `orleans-zk doctor` lists them).");
        }

        // A backup that misses states says so in its exit code: a script must not take it for complete.
        return listing.Unreadable.Count > 0 || listing.NotStates > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    public static async Task<int> ImportAsync(ToolSession session, FileInfo file, string? service, bool force, Report report, CancellationToken cancellationToken)
    {
        var (header, records) = Read(file);
        var store = new StateStore(session, service ?? header.Service);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal) { ["created"] = 0, ["updated"] = 0, ["unchanged"] = 0, ["refused"] = 0 };
        var refused = new List<string>();
        var done = 0;
        var interrupted = false;
        await report.WithProgressAsync($"restoring {records.Count} state(s)", records.Count, async progress =>
        {
            foreach (var (record, line) in records)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    interrupted = true;
                    break;
                }

                // The record's own write is not cancelled halfway: each one ends either old or new. A record that
                // changed under the import (or is in the version-1 layout) is refused and the import goes on.
                (string Kind, string? Refusal) outcome;
                try
                {
                    outcome = await RestoreAsync(store, record, line, force, CancellationToken.None).ConfigureAwait(false);
                }
                catch (StateConflictException ex)
                {
                    outcome = ("refused", $"{store.PathOf(new StateName(record.GrainType, record.GrainKey, record.State))} (line {line}): {ex.Message}");
                }

                counts[outcome.Kind]++;
                if (outcome.Refusal is not null)
                {
                    refused.Add(outcome.Refusal);
                }

                progress(++done);
            }
        }).ConfigureAwait(false);

        if (report.Json)
        {
            report.JsonDocument(new { service = store.Service, root = store.Root, records = records.Count, counts, refused, interrupted });
        }
        else
        {
            report.Line($"{(interrupted ? "interrupted after" : "restored")} {done} of {records.Count} state(s) into {store.Root}: {counts["created"]} created, {counts["updated"]} updated, {counts["unchanged"]} unchanged, {counts["refused"]} refused");
            foreach (var line in refused)
            {
                report.Note("refused: " + line);
            }
        }

        if (interrupted)
        {
            report.Note("orleans-zk: interrupted between two states; every state is either as it was or as in the backup. Run the same import again to finish: it skips the states already restored.");
            return ExitCodes.Interrupted;
        }

        if (refused.Count > 0)
        {
            report.Note($"orleans-zk: {refused.Count} state(s) changed after the backup were left alone; --force overwrites them.");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    private static async Task<(string Kind, string? Refusal)> RestoreAsync(StateStore store, BackupRecord record, int line, bool force, CancellationToken cancellationToken)
    {
        var name = new StateName(record.GrainType, record.GrainKey, record.State);
        var data = Convert.FromBase64String(record.Data);
        var current = await store.ReadAsync(name, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            await store.CreateAsync(name, data, cancellationToken).ConfigureAwait(false);
            return ("created", null);
        }

        if (current.Data.AsSpan().SequenceEqual(data))
        {
            await store.RepairGuardAsync(current.Path, current.Stat.Czxid, cancellationToken).ConfigureAwait(false); // an import stopped between node and guard
            return ("unchanged", null);
        }

        if (current.Stat.Mtime > record.Modified && !force)
        {
            var when = DateTimeOffset.FromUnixTimeMilliseconds(current.Stat.Mtime);
            var then = DateTimeOffset.FromUnixTimeMilliseconds(record.Modified);
            return ("refused", $"{current.Path} (line {line}): written {StateCommands.Time(when)}, after the backup's copy of {StateCommands.Time(then)}");
        }

        await store.ReplaceAsync(current, data, cancellationToken).ConfigureAwait(false);
        return ("updated", null);
    }

    /// <summary>The whole backup, checked before anything is written: a damaged file changes nothing.</summary>
    private static (BackupHeader Header, List<(BackupRecord Record, int Line)> Records) Read(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new ToolException($"The backup '{file.FullName}' does not exist.");
        }

        BackupHeader? header = null;
        var records = new List<(BackupRecord, int)>();
        var number = 0;
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadAllLines(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"The backup '{file.FullName}' cannot be read: {ex.Message}");
        }

        foreach (var text in lines)
        {
            number++;
            if (text.Length == 0)
            {
                continue;
            }

            try
            {
                if (header is null)
                {
                    header = Report.ParseJsonLine<BackupHeader>(text);
                    if (header is null || header.Kind != BackupHeader.ExpectedKind || header.Version != 1 || string.IsNullOrEmpty(header.Service))
                    {
                        throw new ToolException($"'{file.FullName}' line {number} is not the header of an orleans-zk states backup (version 1); nothing was written.");
                    }

                    continue;
                }

                var record = Report.ParseJsonLine<BackupRecord>(text);
                if (record is null || string.IsNullOrEmpty(record.GrainType) || string.IsNullOrEmpty(record.GrainKey) || string.IsNullOrEmpty(record.State) || record.Data is null)
                {
                    throw new FormatException("a field is missing");
                }

                _ = Convert.FromBase64String(record.Data);
                records.Add((record, number));
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                throw new ToolException($"'{file.FullName}' line {number} is not a state record ({ex.Message}); nothing was written.");
            }
        }

        if (header is null)
        {
            throw new ToolException($"'{file.FullName}' is empty: not an orleans-zk states backup; nothing was written.");
        }

        if (records.Count != header.Count)
        {
            throw new ToolException($"'{file.FullName}' holds {records.Count.ToString(CultureInfo.InvariantCulture)} state record(s) but its header says {header.Count}: the file is cut short or damaged; nothing was written.");
        }

        return (header, records);
    }
}
