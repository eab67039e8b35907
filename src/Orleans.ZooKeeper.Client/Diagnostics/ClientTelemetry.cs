using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Diagnostics;

/// <summary>
/// The client's instruments and activity source. Every hot-path call checks <c>Enabled</c>/<c>HasListeners</c>
/// first, so with nobody listening nothing is timed, allocated or recorded. Tag values are cached strings (no boxing).
/// </summary>
internal static class ClientTelemetry
{
    public const string OperationTag = "zookeeper.operation";
    public const string OutcomeTag = "zookeeper.outcome";
    public const string StateTag = "zookeeper.state";

    private static readonly string? Version = typeof(ClientTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly Meter Meter = new(ZooKeeperClientDiagnostics.MeterName, Version);
    private static readonly ConcurrentDictionary<ISessionGauges, byte> Sessions = new();

    public static readonly ActivitySource Source = new(ZooKeeperClientDiagnostics.ActivitySourceName, Version);

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "zookeeper.client.operation.duration", "s", "Time from issuing a request to its outcome, by operation and outcome (ok, an error code, cancelled).");

    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "zookeeper.client.io.sent", "By", "Bytes written to ZooKeeper servers (frames, before TLS).");

    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "zookeeper.client.io.received", "By", "Bytes read from ZooKeeper servers (after TLS).");

    public static readonly Counter<long> Reconnects = Meter.CreateCounter<long>(
        "zookeeper.client.reconnects", "{connection}", "Connections made after a session's first one (resumed or new session).");

    public static readonly Counter<long> Expirations = Meter.CreateCounter<long>(
        "zookeeper.client.session.expirations", "{session}", "Sessions the servers reported expired.");

    public static readonly Counter<long> WatchEvents = Meter.CreateCounter<long>(
        "zookeeper.client.watch.events", "{event}", "Watch events delivered to callbacks (one per event, however many callbacks).");

    private static readonly string[] OpNames = BuildOpNames();
    private static readonly string?[] SpanNames = OpNames.Select(n => n is null ? null : "zookeeper " + n).ToArray();

    static ClientTelemetry()
    {
        Meter.CreateObservableUpDownCounter("zookeeper.client.requests.in_flight", () => Sum(s => s.InFlight), "{request}", "Requests written and waiting for their reply.");
        Meter.CreateObservableUpDownCounter("zookeeper.client.requests.queued", () => Sum(s => s.Queued), "{request}", "Requests waiting for a connection (issued while disconnected).");
        Meter.CreateObservableUpDownCounter("zookeeper.client.sessions", ObserveStates, "{session}", "Client sessions by kazoo state (connected, suspended, lost).");
    }

    /// <summary>Sessions report their gauges while alive.</summary>
    public static void Register(ISessionGauges session) => Sessions.TryAdd(session, 0);

    public static void Unregister(ISessionGauges session) => Sessions.TryRemove(session, out _);

    /// <summary>The wire operation's name, e.g. <c>getData</c>.</summary>
    public static string OperationName(OpCode op)
    {
        var i = (int)op;
        return i >= 0 && i < OpNames.Length && OpNames[i] is { } name ? name : op switch
        {
            OpCode.CloseSession => "closeSession",
            _ => "op" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The outcome tag of an exception: its error code, <c>cancelled</c>, or <c>error</c>.</summary>
    public static string Outcome(Exception? error) => error switch
    {
        null => "ok",
        ZooKeeperException z => ErrorNames.Of(z.Code),
        OperationCanceledException => "cancelled",
        _ => "error",
    };

    /// <summary>Starts a client span (not made current: the caller's own spans go on unaffected).</summary>
    public static Activity? StartActivity(OpCode op, string? path, ISessionGauges session)
    {
        var previous = Activity.Current;
        var i = (int)op;
        var name = i >= 0 && i < SpanNames.Length && SpanNames[i] is { } cached ? cached : "zookeeper " + OperationName(op);
        var activity = Source.StartActivity(name, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        Activity.Current = previous;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("db.system.name", "zookeeper");
            activity.SetTag(OperationTag, OperationName(op));
            if (path is not null)
            {
                activity.SetTag("zookeeper.path", path);
            }

            if (session.Server is { } server)
            {
                activity.SetTag("server.address", server);
            }

            activity.SetTag("zookeeper.session_id", session.SessionIdText);
        }

        return activity;
    }

    /// <summary>Ends a request's measurements: the duration and the span (with its outcome).</summary>
    public static void Finish(OpCode op, long startTimestamp, Activity? activity, Exception? error)
    {
        string? outcome = null;
        if (startTimestamp != 0 && Duration.Enabled)
        {
            outcome = Outcome(error);
            Duration.Record(
                Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>(OperationTag, OperationName(op)),
                new KeyValuePair<string, object?>(OutcomeTag, outcome));
        }

        if (activity is not null)
        {
            if (error is not null)
            {
                outcome ??= Outcome(error);
                activity.SetTag(OutcomeTag, outcome);
                activity.SetTag("error.type", outcome);
                activity.SetStatus(ActivityStatusCode.Error, outcome);
            }

            activity.Stop();
        }
    }

    private static long Sum(Func<ISessionGauges, int> value)
    {
        long total = 0;
        foreach (var session in Sessions.Keys)
        {
            total += value(session);
        }

        return total;
    }

    private static IEnumerable<Measurement<long>> ObserveStates()
    {
        long connected = 0, suspended = 0, lost = 0;
        foreach (var session in Sessions.Keys)
        {
            switch (session.State)
            {
                case ConnectionState.Connected:
                    connected++;
                    break;
                case ConnectionState.Suspended:
                    suspended++;
                    break;
                default:
                    lost++;
                    break;
            }
        }

        return
        [
            new Measurement<long>(connected, new KeyValuePair<string, object?>(StateTag, "connected")),
            new Measurement<long>(suspended, new KeyValuePair<string, object?>(StateTag, "suspended")),
            new Measurement<long>(lost, new KeyValuePair<string, object?>(StateTag, "lost")),
        ];
    }

    private static string[] BuildOpNames()
    {
        var names = new string[128];
        void Set(OpCode op, string name) => names[(int)op] = name;
        Set(OpCode.Create, "create");
        Set(OpCode.Delete, "delete");
        Set(OpCode.Exists, "exists");
        Set(OpCode.GetData, "getData");
        Set(OpCode.SetData, "setData");
        Set(OpCode.GetAcl, "getACL");
        Set(OpCode.SetAcl, "setACL");
        Set(OpCode.GetChildren, "getChildren");
        Set(OpCode.Sync, "sync");
        Set(OpCode.Ping, "ping");
        Set(OpCode.GetChildren2, "getChildren2");
        Set(OpCode.Check, "check");
        Set(OpCode.Multi, "multi");
        Set(OpCode.Create2, "create2");
        Set(OpCode.CheckWatches, "checkWatches");
        Set(OpCode.RemoveWatches, "removeWatches");
        Set(OpCode.CreateContainer, "createContainer");
        Set(OpCode.CreateTtl, "createTTL");
        Set(OpCode.MultiRead, "multiRead");
        Set(OpCode.Auth, "auth");
        Set(OpCode.SetWatches, "setWatches");
        Set(OpCode.GetEphemerals, "getEphemerals");
        Set(OpCode.GetAllChildrenNumber, "getAllChildrenNumber");
        Set(OpCode.SetWatches2, "setWatches2");
        Set(OpCode.AddWatch, "addWatch");
        Set(OpCode.WhoAmI, "whoAmI");
        return names;
    }

    /// <summary>Cached names of error codes (Enum.ToString allocates).</summary>
    private static class ErrorNames
    {
        private static readonly ConcurrentDictionary<ErrorCode, string> Names = new();

        public static string Of(ErrorCode code) => Names.GetOrAdd(code, static c => c.ToString());
    }
}

/// <summary>What a live session reports to the observable instruments and spans.</summary>
internal interface ISessionGauges
{
    int InFlight { get; }

    int Queued { get; }

    ConnectionState State { get; }

    /// <summary>The session id as 0x-hex (cached per session id).</summary>
    string SessionIdText { get; }

    /// <summary>The server connected to (cached per connection), or null.</summary>
    string? Server { get; }
}
