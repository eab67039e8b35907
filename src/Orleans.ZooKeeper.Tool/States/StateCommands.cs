using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orleans.Persistence.ZooKeeper;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary><c>states list|get|put|delete|export|import</c>: grain state as grain storage keeps it.</summary>
internal static class StateCommands
{
    public static Command Build(ToolContext context)
    {
        var service = new Option<string>("--service", "-s") { Description = "The ServiceId (ClusterOptions.ServiceId) whose states to use", Required = true };
        var type = new Argument<string>("type") { Description = "The grain type, as in GrainId (e.g. 'counter')" };
        var key = new Argument<string>("key") { Description = "The grain key, as in GrainId (e.g. '42' or a GUID)" };
        var state = new Argument<string>("state") { Description = "The state name ([PersistentState(\"name\")]; 'state' for Grain<T>)" };
        var etag = new Option<string?>("--etag") { Description = "The ETag the state has now (from `states get`): the write happens only if it still has it" };
        var force = new Option<bool>("--force") { Description = "Write or delete whatever the state's ETag (or, for import, overwrite newer records)" };

        var command = new Command("states", "Grain states: list, show, change, delete, back up and restore");

        var typeFilter = new Option<string?>("--type") { Description = "Only this grain type" };
        var prefix = new Option<string?>("--prefix") { Description = "Only grain keys starting with this" };
        var list = new Command("list", "The states stored for a service: grain, state, ETag, format, size, last write") { service, typeFilter, prefix };
        list.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => ListAsync(new StateStore(session, parse.GetValue(service)!), parse.GetValue(typeFilter), parse.GetValue(prefix), report, token)));
        command.Subcommands.Add(list);

        var get = new Command("get", "One state, decoded: path, ETag, format, size and pretty JSON (raw bytes with the reason when it does not decode)") { service, type, key, state };
        get.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => GetAsync(new StateStore(session, parse.GetValue(service)!), Name(parse, type, key, state), report, token)));
        command.Subcommands.Add(get);

        var value = new Option<string?>("--value") { Description = "The new state as JSON text" };
        var file = new Option<FileInfo?>("--file") { Description = "A file holding the new state as JSON ('-' is not accepted: give a file)" };
        var put = new Command("put", "Writes a state as grain storage's JSON serializer would (conditional on --etag; creates it when it does not exist)") { service, type, key, state, value, file, etag, force };
        put.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => PutAsync(new StateStore(session, parse.GetValue(service)!), Name(parse, type, key, state), ReadValue(parse.GetValue(value), parse.GetValue(file)), parse.GetValue(etag), parse.GetValue(force), report, token)));
        command.Subcommands.Add(put);

        var delete = new Command("delete", "Deletes a state and its guard (conditional on --etag)") { service, type, key, state, etag, force };
        delete.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => DeleteAsync(new StateStore(session, parse.GetValue(service)!), Name(parse, type, key, state), parse.GetValue(etag), parse.GetValue(force), report, token)));
        command.Subcommands.Add(delete);

        var export = new Command("export", "Writes every state of a service as JSON lines to stdout (a header line, then one line per state with its exact bytes)") { service, typeFilter, prefix };
        export.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => StateBackup.ExportAsync(new StateStore(session, parse.GetValue(service)!), parse.GetValue(typeFilter), parse.GetValue(prefix), report, token)));
        command.Subcommands.Add(export);

        var backup = new Argument<FileInfo>("backup") { Description = "A file written by `states export`" };
        var intoService = new Option<string?>("--service", "-s") { Description = "Restore into this ServiceId instead of the one the backup names" };
        var import = new Command("import", "Restores a backup exactly: creates missing states, replaces older ones, skips equal ones (so a stopped import resumes); refuses to overwrite a state changed after the backup unless --force") { backup, intoService, force };
        import.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => StateBackup.ImportAsync(session, parse.GetValue(backup)!, parse.GetValue(intoService), parse.GetValue(force), report, token)));
        command.Subcommands.Add(import);
        return command;
    }

    private static StateName Name(ParseResult parse, Argument<string> type, Argument<string> key, Argument<string> state)
        => new(parse.GetValue(type)!, parse.GetValue(key)!, parse.GetValue(state)!);

    private static Func<byte[]> ReadValue(string? value, FileInfo? file) => () =>
    {
        if ((value is null) == (file is null))
        {
            throw new ToolException("Give the new state with exactly one of --value JSON or --file FILE.", ExitCodes.Usage);
        }

        string text;
        string origin;
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new ToolException($"--file '{file.FullName}' does not exist.");
            }

            try
            {
                text = File.ReadAllText(file.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ToolException($"--file '{file.FullName}' cannot be read: {ex.Message}");
            }

            origin = $"--file '{file.FullName}'";
        }
        else
        {
            text = value!;
            origin = "--value";
        }

        try
        {
            return StateContent.EncodeJson(text);
        }
        catch (JsonException ex)
        {
            throw new ToolException($"{origin} is not JSON: {ex.Message} Nothing was written.");
        }
    };

    private static async Task<int> ListAsync(StateStore store, string? type, string? prefix, Report report, CancellationToken cancellationToken)
    {
        var types = await store.TypesAsync(type, cancellationToken).ConfigureAwait(false);
        var listing = await store.ReadAllAsync(types, prefix, cancellationToken).ConfigureAwait(false);
        var (states, skipped) = (listing.States, listing.NotStates);
        var rows = states.Select(s => (State: s, Content: StateContent.Decode(s.Data))).ToList();
        if (report.Json)
        {
            report.JsonDocument(new
            {
                service = store.Service,
                root = store.Root,
                states = rows.Select(r => new { grainType = r.State.Type, grainKey = r.State.Key, state = r.State.State, path = r.State.Path, etag = r.State.ETag, format = r.Content.Format, size = r.Content.Size, modified = r.State.Modified, problem = r.Content.Problem }),
                notStates = skipped,
                unreadable = listing.Unreadable,
            });
        }
        else
        {
            report.Table(
                ["GRAIN", "STATE", "ETAG", "FORMAT", "SIZE", "MODIFIED"],
                rows.Select(r => (IReadOnlyList<string>)[r.State.Type + "/" + r.State.Key, r.State.State, r.State.ETag, r.Content.Problem is null ? r.Content.Format : r.Content.Format + " (damaged)", r.Content.Size.ToString(CultureInfo.InvariantCulture), Time(r.State.Modified)]));
            report.Line($"{states.Count} state(s) of service '{store.Service}' at {store.Root}");
            foreach (var path in listing.Unreadable)
            {
                report.Note($"not readable with this session's credentials: {path}");
            }

            if (skipped > 0)
            {
                report.Note($"{skipped} node(s) below the type nodes are not states of this layout (version-1 data or foreign nodes): `orleans-zk doctor` explains them.");
            }
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> GetAsync(StateStore store, StateName name, Report report, CancellationToken cancellationToken)
    {
        var stored = await store.ReadExistingAsync(name, cancellationToken).ConfigureAwait(false);
        var content = StateContent.Decode(stored.Data);
        if (report.Json)
        {
            report.JsonDocument(new
            {
                grainType = stored.Type,
                grainKey = stored.Key,
                state = stored.State,
                path = stored.Path,
                etag = stored.ETag,
                format = content.Format,
                size = content.Size,
                modified = stored.Modified,
                value = content.Json is null ? (JsonElement?)null : JsonDocument.Parse(content.Json).RootElement,
                problem = content.Problem,
                note = content.Opaque,
                raw = content.Json is not null ? null : Convert.ToBase64String(stored.Data),
            });
            return ExitCodes.Ok;
        }

        report.Fields([
            ("grain", stored.Type + "/" + stored.Key),
            ("state", stored.State),
            ("path", stored.Path),
            ("etag", stored.ETag),
            ("format", content.Format),
            ("size", content.Size.ToString(CultureInfo.InvariantCulture) + " bytes"),
            ("modified", Time(stored.Modified)),
        ]);
        if (content.Json is not null)
        {
            report.Line(content.Json);
        }
        else
        {
            report.Line((content.Problem is not null ? "problem   " + content.Problem : "note      " + content.Opaque));
            report.Line("raw       " + StateContent.Escaped(stored.Data));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> PutAsync(StateStore store, StateName name, Func<byte[]> value, string? etag, bool force, Report report, CancellationToken cancellationToken)
    {
        var data = value();
        await store.EnsureExistsAsync(cancellationToken).ConfigureAwait(false);
        var current = await store.ReadAsync(name, cancellationToken).ConfigureAwait(false);
        Client.Stat written;
        if (current is null)
        {
            if (etag is not null && !force)
            {
                throw new ToolException($"Conflict: {store.PathOf(name)} does not exist (it was deleted since ETag {etag}); nothing was written. Without --etag a missing state is created.");
            }

            written = await store.CreateAsync(name, data, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            CheckETag(current, etag, force, "overwrite");
            written = await store.ReplaceAsync(current, data, cancellationToken).ConfigureAwait(false);
        }

        var newETag = StateETag.Format(written);
        if (report.Json)
        {
            report.JsonDocument(new { path = store.PathOf(name), etag = newETag, created = current is null });
        }
        else
        {
            report.Line($"{(current is null ? "created" : "wrote")} {store.PathOf(name)}: ETag {newETag} (an active grain holding the old ETag will get an InconsistentStateException at its next write: deactivate it to reload)");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> DeleteAsync(StateStore store, StateName name, string? etag, bool force, Report report, CancellationToken cancellationToken)
    {
        var current = await store.ReadExistingAsync(name, cancellationToken).ConfigureAwait(false);
        CheckETag(current, etag, force, "delete");
        await store.DeleteAsync(current, cancellationToken).ConfigureAwait(false);
        if (report.Json)
        {
            report.JsonDocument(new { path = current.Path, deleted = true, etag = current.ETag });
        }
        else
        {
            report.Line($"deleted {current.Path} (was ETag {current.ETag})");
        }

        return ExitCodes.Ok;
    }

    private static void CheckETag(StoredState current, string? etag, bool force, string verb)
    {
        if (force)
        {
            return;
        }

        if (etag is null)
        {
            throw new ToolException($"Refusing to {verb} {current.Path} without its ETag: it is {current.ETag} now. Pass --etag {current.ETag} (or --force).");
        }

        if (!string.Equals(etag, current.ETag, StringComparison.Ordinal))
        {
            throw new ToolException($"Conflict: {current.Path} has ETag {current.ETag}, not {etag} (it was written since); nothing was changed.");
        }
    }

    internal static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
