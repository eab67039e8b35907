using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>The client's meter and activity source, observed the way operators observe them.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class TelemetryTests(SharedServerFixture fixture)
{
    [Fact]
    public async Task Operations_report_their_duration_by_operation_and_outcome_and_the_bytes_moved()
    {
        using var metrics = new MetricsRecorder();
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var node = Clients.UniquePath("metrics");
        await client.CreateAsync(node, "v"u8.ToArray());
        await client.GetDataAsync(node);
        await Assert.ThrowsAsync<NoNodeException>(async () => await client.GetDataAsync(node + "/missing"));
        await client.DeleteAsync(node);

        var durations = metrics.Measurements("zookeeper.client.operation.duration");
        Assert.Contains(durations, m => m.Tag("zookeeper.operation") == "create2" && m.Tag("zookeeper.outcome") == "ok" && m.Value > 0);
        Assert.Contains(durations, m => m.Tag("zookeeper.operation") == "getData" && m.Tag("zookeeper.outcome") == "ok");
        Assert.Contains(durations, m => m.Tag("zookeeper.operation") == "getData" && m.Tag("zookeeper.outcome") == "NoNode");
        Assert.Contains(durations, m => m.Tag("zookeeper.operation") == "delete" && m.Tag("zookeeper.outcome") == "ok");
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 30));
        Assert.True(metrics.Sum("zookeeper.client.io.sent") > 0);
        Assert.True(metrics.Sum("zookeeper.client.io.received") > 0);
    }

    [Fact]
    public async Task Queued_requests_reconnects_sessions_by_state_and_watch_events_are_counted()
    {
        using var metrics = new MetricsRecorder();
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var direct = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var options = Clients.Options(proxy.ConnectString);
        options.ReconnectBackoff = TimeSpan.FromMilliseconds(50);
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var node = Clients.UniquePath("gauges");
        await direct.CreateAsync(node);
        var watched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.GetDataAsync(node, _ => watched.TrySetResult());

        proxy.Block();
        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended);
        var queued = Enumerable.Range(0, 25).Select(i => client.SetDataAsync(node, BitConverter.GetBytes(i)).AsTask()).ToList();
        metrics.Observe();
        Assert.True(metrics.Last("zookeeper.client.requests.queued") >= 25);
        Assert.True(metrics.Last("zookeeper.client.sessions", ("zookeeper.state", "suspended")) >= 1);
        var cancelled = new CancellationTokenSource();
        var leaving = client.GetDataAsync(node, cancellationToken: cancelled.Token).AsTask();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);

        proxy.Unblock();
        await Task.WhenAll(queued).WithTimeout();
        await watched.Task.WithTimeout(); // the queued writes changed the watched node
        metrics.Observe();
        Assert.True(metrics.Sum("zookeeper.client.reconnects") >= 1);
        Assert.True(metrics.Sum("zookeeper.client.watch.events") >= 1);
        Assert.True(metrics.Last("zookeeper.client.sessions", ("zookeeper.state", "connected")) >= 1);
        Assert.Contains(metrics.Measurements("zookeeper.client.operation.duration"), m => m.Tag("zookeeper.outcome") == "cancelled");
        await direct.DeleteAsync(node);
    }

    [Fact]
    public async Task Requests_in_flight_are_visible_while_a_pipeline_is_deep()
    {
        using var metrics = new MetricsRecorder();
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var node = Clients.UniquePath("inflight");
        await client.CreateAsync(node);
        var peak = 0L;
        var writes = Enumerable.Range(0, 3000).Select(_ => client.SetDataAsync(node, "x"u8.ToArray()).AsTask()).ToList();
        while (writes.Any(w => !w.IsCompleted))
        {
            metrics.Observe();
            peak = Math.Max(peak, metrics.Last("zookeeper.client.requests.in_flight"));
            await Task.Yield();
        }

        await Task.WhenAll(writes);
        Assert.True(peak > 0, "no request was ever seen in flight");
        await client.DeleteAsync(node);
    }

    [Fact]
    public async Task Spans_nest_under_the_callers_span_carry_operation_path_server_and_session_and_never_data()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(ZooKeeperClientDiagnostics.ActivitySourceName, "TelemetryTests")
            .AddInMemoryExporter(spans)
            .Build();
        using var parentSource = new ActivitySource("TelemetryTests");
        var options = Clients.Options(fixture.Server.ConnectString);
        options.AddDigest("tracer", "s3cret-password");
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var node = Clients.UniquePath("trace");

        string parentId;
        ActivityTraceId traceId;
        using (var parent = parentSource.StartActivity("caller"))
        {
            parentId = parent!.SpanId.ToString();
            traceId = parent.TraceId;
            await client.CreateAsync(node, "secret-payload"u8.ToArray());
            Assert.Same(parent, Activity.Current); // the client's spans never become the caller's current one
            await Assert.ThrowsAsync<NoNodeException>(async () => await client.GetDataAsync(node + "/missing"));
        }

        tracer.ForceFlush();

        // The listener hears every client in the process (other test classes run alongside, and their spans keep
        // arriving on other threads): read a copy, and this test's trace only.
        var exported = spans.ToArray();
        var ours = exported.Where(s => s.TraceId == traceId).ToList();
        var create = Assert.Single(ours, s => s.DisplayName == "zookeeper create2");
        Assert.Equal(parentId, create.ParentSpanId.ToString());
        Assert.Equal(ActivityKind.Client, create.Kind);
        Assert.Equal(node, create.GetTagItem("zookeeper.path"));
        Assert.Equal(fixture.Server.ConnectString, create.GetTagItem("server.address"));
        Assert.Equal($"0x{client.SessionId:x}", create.GetTagItem("zookeeper.session_id"));
        Assert.Equal(ActivityStatusCode.Unset, create.Status);

        var failed = Assert.Single(ours, s => s.DisplayName == "zookeeper getData");
        Assert.Equal(parentId, failed.ParentSpanId.ToString());
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("NoNode", failed.GetTagItem("error.type"));

        foreach (var span in exported)
        {
            foreach (var tag in span.TagObjects)
            {
                var text = tag.Value?.ToString() ?? string.Empty;
                Assert.DoesNotContain("secret-payload", text);
                Assert.DoesNotContain("s3cret-password", text);
            }
        }

        await client.DeleteAsync(node);
    }

    /// <summary>Collects every measurement of the client's meter (process-wide: other tests' clients may add to the gauges).</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Recorded> _recorded = new();

        public MetricsRecorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ZooKeeperClientDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _recorded.Enqueue(new Recorded(i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _recorded.Enqueue(new Recorded(i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public List<Recorded> Measurements(string name) => _recorded.Where(r => r.Name == name).ToList();

        public double Sum(string name) => Measurements(name).Sum(r => r.Value);

        public long Last(string name, (string Key, string Value)? tag = null)
        {
            var last = Measurements(name).LastOrDefault(r => tag is null || r.Tag(tag.Value.Key) == tag.Value.Value);
            return last is null ? 0 : (long)last.Value;
        }

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Recorded(string Name, double Value, KeyValuePair<string, object?>[] Tags)
    {
        public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key).Value as string;
    }
}
