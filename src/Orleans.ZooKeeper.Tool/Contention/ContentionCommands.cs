using System.CommandLine;
using System.Globalization;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Cluster;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Contention;

/// <summary><c>elections [SCOPE]</c>, <c>locks [NAME]</c>, <c>semaphores [NAME] [--max-leases N]</c>: who holds, who waits.</summary>
internal static class ContentionCommands
{
    public static IEnumerable<Command> Build(ToolContext context)
    {
        var scope = new Argument<string?>("scope") { Description = "One election scope (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var elections = new Command("elections", "Leader elections ({base path}/election/{scope}): leader, fencing token, queue") { scope };
        elections.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, ZooKeeperLeaderElection.ElectionFolder, "election scope", parse.GetValue(scope), 1, "leader", report, token)));
        yield return elections;

        var lockName = new Argument<string?>("name") { Description = "One lock (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var locks = new Command("locks", "Locks ({base path}/locks/{name}): holder, waiters, age") { lockName };
        locks.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, ZooKeeperContainerLockExtensions.LocksFolder, "lock", parse.GetValue(lockName), 1, "holder", report, token)));
        yield return locks;

        var semaphoreName = new Argument<string?>("name") { Description = "One semaphore (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var maxLeases = new Option<int?>("--max-leases") { Description = "The semaphore's MaxLeases (it is not stored in ZooKeeper): the first N nodes hold leases. Without it every node is shown by queue position" };
        var semaphores = new Command("semaphores", "Semaphores ({base path}/semaphores/{name}): lease holders, waiters, age") { semaphoreName, maxLeases };
        semaphores.SetAction((parse, ct) =>
        {
            var max = parse.GetValue(maxLeases);
            return context.RunAsync(parse, ct, (session, report, token) =>
            {
                if (max is < 1)
                {
                    throw new ToolException($"--max-leases {max} must be at least 1.", ExitCodes.Usage);
                }

                return RunAsync(session, ZooKeeperContainerLockExtensions.SemaphoresFolder, "semaphore", parse.GetValue(semaphoreName), max ?? 0, "holder", report, token);
            });
        });
        yield return semaphores;
    }

    private static async Task<int> RunAsync(ToolSession session, string folder, string what, string? only, int slots, string holderRole, Report report, CancellationToken cancellationToken)
    {
        var names = await QueueReader.NamesAsync(session, folder, cancellationToken).ConfigureAwait(false);
        if (only is not null)
        {
            if (!names.Contains(only, StringComparer.Ordinal))
            {
                throw new ToolException($"Unknown {what} '{only}': {session.PathOf(folder + "/" + only)} does not exist ({(names.Count == 0 ? $"no {what} below {session.PathOf(folder)}" : "known: " + string.Join(", ", names))}).");
            }

            names = [only];
        }

        var now = DateTimeOffset.UtcNow;
        var entries = new List<QueueEntry>();
        foreach (var name in names)
        {
            entries.AddRange(await QueueReader.ReadAsync(session, session.PathOf(folder + "/" + name), name, slots, holderRole, now, cancellationToken).ConfigureAwait(false));
        }

        if (report.Json)
        {
            report.JsonDocument(new { folder = session.PathOf(folder), names, entries });
            return ExitCodes.Ok;
        }

        report.Table(
            [what.Split(' ')[0].ToUpperInvariant(), "POSITION", "ROLE", "FENCING TOKEN", "SESSION", "AGE", "NODE", "DATA"],
            entries.Select(e => (IReadOnlyList<string>)[e.Recipe, e.Position.ToString(CultureInfo.InvariantCulture), slots == 0 ? "queued" : e.Role, e.FencingToken.ToString(CultureInfo.InvariantCulture), e.Session, MembersCommand.Age(e.AgeSeconds), e.Name, e.Data]));
        var empty = names.Where(n => !entries.Any(e => e.Recipe == n)).ToList();
        report.Line($"{names.Count} {what}(s) below {session.PathOf(folder)}, {entries.Count} node(s){(empty.Count > 0 ? "; nobody in: " + string.Join(", ", empty) : string.Empty)}");
        return ExitCodes.Ok;
    }
}
