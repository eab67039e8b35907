using System.CommandLine;
using System.Globalization;
using System.Text;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Nodes;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Doctor;

/// <summary>How much a finding matters: errors and warnings make <c>doctor</c> exit 1.</summary>
internal enum Severity
{
    Info,
    Warning,
    Error,
}

/// <summary>Something <c>doctor</c> noticed, where, and what to do about it.</summary>
internal sealed record Finding(Severity Severity, string Subject, string What, string ToDo);

/// <summary>One ensemble member as <c>srvr</c> describes it.</summary>
internal sealed record ServerReport(string Server, string? Version, string? Mode, double? RoundTripMilliseconds, string? ServerLatency, string? Nodes, string? Problem);

/// <summary>
/// <c>doctor</c>: connects; asks every member for its version, mode and latency (<c>srvr</c>); reports the session
/// timeout the ensemble granted and the base path's ACL; then walks the base path and reports what is wrong in our
/// layout — stale incarnation guards, unreadable states, queue nodes no session owns, contenders and advertisements
/// of sessions no member serves, silent "Active" silos — each with what to do.
/// </summary>
internal static class DoctorCommand
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    public static Command Build(ToolContext context)
    {
        var limit = new Option<int>("--limit") { Description = "Nodes to inspect at most below the base path", DefaultValueFactory = _ => 100_000 };
        var command = new Command("doctor", "Checks the ensemble and our data below the base path; every finding says what to do (exit 1 on warnings or errors)") { limit };
        command.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, parse.GetValue(limit), report, token)));
        return command;
    }

    private static async Task<int> RunAsync(ToolSession session, int limit, Report report, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var (servers, liveSessions) = await AskServersAsync(session, findings, cancellationToken).ConfigureAwait(false);
        CheckSession(session, findings);
        var acl = await CheckBasePathAsync(session, findings, cancellationToken).ConfigureAwait(false);
        var walker = new LayoutWalker(session.Client, int.MaxValue, Math.Max(1, limit));
        var layoutVersions = new SortedSet<string>(StringComparer.Ordinal);
        var inspected = 0;
        if (acl is not null)
        {
            await foreach (var node in walker.WalkAsync(session.BasePath, cancellationToken).ConfigureAwait(false))
            {
                inspected++;
                Inspect(node, liveSessions, session.Client.NegotiatedSessionTimeout, layoutVersions, findings);
            }
        }

        if (walker.Truncated)
        {
            findings.Add(new Finding(Severity.Info, session.BasePath, $"only the first {limit} nodes were inspected", "run again with a larger --limit"));
        }

        findings.Sort((a, b) => b.Severity.CompareTo(a.Severity));
        if (report.Json)
        {
            report.JsonDocument(new
            {
                target = session.Target.ToString(),
                session = "0x" + session.Client.SessionId.ToString("x", CultureInfo.InvariantCulture),
                sessionTimeoutSeconds = session.Client.NegotiatedSessionTimeout.TotalSeconds,
                basePath = session.BasePath,
                acl,
                layoutVersions,
                inspected,
                servers,
                findings,
            });
        }
        else
        {
            report.Table(["SERVER", "VERSION", "MODE", "ROUND TRIP", "LATENCY MIN/AVG/MAX", "NODES", "PROBLEM"], servers.Select(s => (IReadOnlyList<string>)[s.Server, s.Version ?? "?", s.Mode ?? "?", s.RoundTripMilliseconds is { } rt ? rt.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "", s.ServerLatency ?? "", s.Nodes ?? "", s.Problem ?? ""]));
            report.Fields([
                ("target", session.Target.ToString()),
                ("session", $"0x{session.Client.SessionId:x}, timeout {session.Client.NegotiatedSessionTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (asked {session.Target.SessionTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)"),
                ("base path", session.BasePath + (acl is null ? " (missing)" : " — ACL " + acl)),
                ("storage layout", layoutVersions.Count == 0 ? "no grain storage here" : "version " + string.Join(", ", layoutVersions)),
                ("inspected", inspected.ToString(CultureInfo.InvariantCulture) + " node(s)"),
            ]);
            report.Line();
            if (findings.Count == 0)
            {
                report.Line("No findings.");
            }
            else
            {
                foreach (var finding in findings)
                {
                    report.Line($"{finding.Severity.ToString().ToLowerInvariant(),-8} {finding.Subject}");
                    report.Line($"{string.Empty,-8} {finding.What}");
                    report.Line($"{string.Empty,-8} what to do: {finding.ToDo}");
                }

                report.Line($"{findings.Count(f => f.Severity == Severity.Error)} error(s), {findings.Count(f => f.Severity == Severity.Warning)} warning(s), {findings.Count(f => f.Severity == Severity.Info)} note(s)");
            }
        }

        return findings.Any(f => f.Severity >= Severity.Warning) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<(List<ServerReport> Servers, HashSet<long>? LiveSessions)> AskServersAsync(ToolSession session, List<Finding> findings, CancellationToken cancellationToken)
    {
        var servers = new List<ServerReport>();
        HashSet<long>? live = [];
        foreach (var server in session.Target.Servers)
        {
            var name = $"{server.Host}:{server.Port}";
            if (session.Target.Tls is not null)
            {
                servers.Add(new ServerReport(name, null, null, null, null, null, "four-letter words are not asked over TLS"));
                live = null;
                continue;
            }

            var srvr = await FourLetterWords.AskAsync(server, "srvr", AskTimeout, cancellationToken).ConfigureAwait(false);
            servers.Add(new ServerReport(name, srvr.Field("Zookeeper version")?.Split(',')[0], srvr.Field("Mode"), srvr.Problem is null ? srvr.RoundTripMilliseconds : null, srvr.Field("Latency min/avg/max"), srvr.Field("Node count"), srvr.Problem));
            if (srvr.Problem is not null && srvr.Text is null && !srvr.Problem.Contains("whitelist", StringComparison.Ordinal))
            {
                findings.Add(new Finding(Severity.Error, name, "the server does not answer: " + srvr.Problem, "start it or fix the server list (one member down still leaves a quorum in a 3-node ensemble, but not a second)"));
            }
            else if (srvr.Field("Mode") is "read-only")
            {
                findings.Add(new Finding(Severity.Warning, name, "the server is read-only: it is cut off from the quorum", "check the network between the ensemble members"));
            }

            var cons = await FourLetterWords.AskAsync(server, "cons", AskTimeout, cancellationToken).ConfigureAwait(false);
            if (cons.Text is null)
            {
                live = null;
            }
            else
            {
                live?.UnionWith(FourLetterWords.SessionsIn(cons.Text));
            }
        }

        if (live is null)
        {
            findings.Add(new Finding(Severity.Info, "ensemble", "connected sessions could not be listed (the 'cons' four-letter word is not allowed or not reachable), so the owners of queue nodes were not checked", "allow 'srvr' and 'cons' in 4lw.commands.whitelist to have them checked"));
        }

        return (servers, live);
    }

    private static void CheckSession(ToolSession session, List<Finding> findings)
    {
        var asked = session.Target.SessionTimeout;
        var granted = session.Client.NegotiatedSessionTimeout;
        if (granted < asked - TimeSpan.FromMilliseconds(1))
        {
            findings.Add(new Finding(Severity.Info, "session", $"the ensemble granted a {granted.TotalSeconds} s session timeout, less than the {asked.TotalSeconds} s asked", "raise maxSessionTimeout on the servers (default 20 × tickTime) if the longer timeout matters"));
        }
    }

    private static async Task<string?> CheckBasePathAsync(ToolSession session, List<Finding> findings, CancellationToken cancellationToken)
    {
        AclResult acl;
        try
        {
            acl = await session.Client.GetAclAsync(session.BasePath, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            findings.Add(new Finding(Severity.Warning, session.BasePath, "the base path does not exist: nothing of ours is stored here", "check --url / --config (a container creates its path when it starts)"));
            return null;
        }

        var text = string.Join(", ", acl.Acl.Select(a => $"{a.Id.Scheme}:{a.Id.Id}:{Permissions(a)}"));
        if (acl.Acl.Any(a => a.Id.Scheme == "world" && a.Id.Id == "anyone" && a.Permissions.HasFlag(Client.Permissions.Write)))
        {
            findings.Add(new Finding(Severity.Info, session.BasePath, "anyone who can reach the ensemble may change or delete our data (world:anyone may write)", "give the containers credentials (username/password or SASL): they then create nodes readable and writable only by that identity"));
        }

        return text;
    }

    private static void Inspect(LayoutNode node, HashSet<long>? liveSessions, TimeSpan sessionTimeout, SortedSet<string> layoutVersions, List<Finding> findings)
    {
        switch (node.Kind)
        {
            case NodeKind.LayoutMarker:
                var version = Encoding.UTF8.GetString(node.Data);
                layoutVersions.Add(version);
                if (version != "2")
                {
                    findings.Add(new Finding(Severity.Error, node.Path, $"storage layout version '{version}' is not one this tool knows (2)", "use the orleans-zk that matches the providers' version"));
                }

                break;
            case NodeKind.StaleGuard:
                findings.Add(new Finding(Severity.Warning, node.Path, "orphan incarnation guard: it does not name the state node's creation (czxid), so no write checks it", $"delete it (zkCli: delete {node.Path}); the state's own guard is kept"));
                break;
            case NodeKind.NotAState:
                findings.Add(new Finding(Severity.Info, node.Path, "not a state of the current layout (a version-1 grain key folder, or a node someone else put here)", "version-1 states move at their next write (ReadLegacyLayout); otherwise leave it or delete it"));
                break;
            case NodeKind.State:
                if (node.Problem is not null)
                {
                    findings.Add(new Finding(Severity.Error, node.Path, "the state does not decode: " + node.Problem, "inspect it with `orleans-zk states get`, then repair it with `states put --etag` or remove it with `states delete --etag`"));
                }

                if (!node.Children.Contains(node.Stat.Czxid.ToString("x", CultureInfo.InvariantCulture), StringComparer.Ordinal))
                {
                    findings.Add(new Finding(Severity.Info, node.Path, "the state has no incarnation guard", "nothing: grain storage recreates it at the next write"));
                }

                break;
            case NodeKind.Contender when node.Stat.EphemeralOwner == 0:
                findings.Add(new Finding(Severity.Error, node.Path, $"a persistent node in a queue: no session owns it, so it never goes away and {(node.Position == 0 ? "holds the lead/lock for nobody" : "everyone queued behind it waits")}", $"delete it (zkCli: delete {node.Path})"));
                break;
            case NodeKind.Contender or NodeKind.Advertisement when liveSessions is not null && !liveSessions.Contains(node.Stat.EphemeralOwner):
                findings.Add(new Finding(Severity.Warning, node.Path, $"its session 0x{node.Stat.EphemeralOwner:x} is connected to no ensemble member: the process is gone or cut off", $"nothing if it is gone: ZooKeeper removes the node when the session expires (within {sessionTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s of its last contact); if it stays longer, look for that process"));
                break;
        }
    }

    private static string Permissions(Acl acl)
    {
        var perms = acl.Permissions;
        var sb = new StringBuilder();
        foreach (var (flag, letter) in new[] { (Client.Permissions.Create, 'c'), (Client.Permissions.Delete, 'd'), (Client.Permissions.Read, 'r'), (Client.Permissions.Write, 'w'), (Client.Permissions.Admin, 'a') })
        {
            if (perms.HasFlag(flag))
            {
                sb.Append(letter);
            }
        }

        return sb.ToString();
    }
}
