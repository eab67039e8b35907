using System.CommandLine;
using System.Threading.Channels;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using Orleans.ZooKeeper.Tool.Output;

namespace Orleans.ZooKeeper.Tool.Nodes;

/// <summary><c>watch [PATH]</c>: every change below a path, live, until Ctrl-C (a persistent recursive watch).</summary>
internal static class WatchCommand
{
    public static Command Build(ToolContext context)
    {
        var path = new Argument<string?>("path") { Description = "Below the base path (relative), or absolute; default: the base path", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("watch", "Prints every node created, changed or deleted below PATH (and connection changes) until Ctrl-C") { path };
        command.SetAction((parse, ct) => context.RunAsync(parse, ct, (session, report, token) => RunAsync(session, TreeCommand.Resolve(session, parse.GetValue(path)), report, token)));
        return command;
    }

    private static async Task<int> RunAsync(ToolSession session, string path, Report report, CancellationToken cancellationToken)
    {
        var events = Channel.CreateUnbounded<(DateTimeOffset Time, string Event, string? Path)>(new UnboundedChannelOptions { SingleReader = true });
        void OnState(object? sender, ConnectionStateChange change) => events.Writer.TryWrite((DateTimeOffset.UtcNow, "connection:" + Camel(change.State.ToString()), null));
        void OnEvent(WatchedEvent e) => events.Writer.TryWrite((DateTimeOffset.UtcNow, Camel(e.Type.ToString()), e.Path));
        session.Client.StateChanged += OnState;
        try
        {
            await session.Client.AddWatchAsync(path, AddWatchMode.PersistentRecursive, OnEvent, cancellationToken).ConfigureAwait(false);
            var watchedSession = session.Client.SessionId;
            report.Note($"watching {path} (and below); Ctrl-C stops");
            try
            {
                await foreach (var (time, name, eventPath) in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (eventPath is null && name == "connection:connected" && session.Client.SessionId != watchedSession)
                    {
                        // A new session (the old one expired): ZooKeeper dropped the watch with it. Set it again, and
                        // say that changes while no session was watching were missed.
                        watchedSession = session.Client.SessionId;
                        await session.Client.AddWatchAsync(path, AddWatchMode.PersistentRecursive, OnEvent, cancellationToken).ConfigureAwait(false);
                        report.Note("the session expired and a new one started: the watch is set again; changes in between were not seen");
                    }

                    if (report.Json)
                    {
                        report.JsonLine(new { time, @event = name, path = eventPath });
                    }
                    else
                    {
                        report.Line($"{time.UtcDateTime:HH:mm:ss.fff}  {name,-20}  {eventPath}");
                    }

                    await report.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: the normal end of a watch.
            }

            return ExitCodes.Ok;
        }
        finally
        {
            session.Client.StateChanged -= OnState;
        }
    }

    private static string Camel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}
