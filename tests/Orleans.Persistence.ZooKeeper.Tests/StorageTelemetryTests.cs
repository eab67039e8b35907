using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>The storage's meter and activity source, observed the way operators observe them.</summary>
[Collection(ServerCollection.Name)]
public sealed class StorageTelemetryTests(ServerFixture fixture)
{
    [Fact]
    public async Task Storage_calls_report_duration_by_operation_and_outcome_conflicts_and_state_sizes()
    {
        using var metrics = new MetricsRecorder();
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = true);
        var id = Ids.Unique("metered");
        await zk.ReadAsync<TestState>(id);
        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "sized" }, null);
        await zk.ReadAsync<TestState>(id);
        await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), null));
        await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.GrainStorage.WriteStateAsync("state", id, new GrainState<ObjectMemberState> { State = new(), ETag = etag }));
        await zk.ClearAsync<TestState>(id, etag);

        var durations = metrics.Of("zookeeper.storage.operation.duration").Where(m => m.Tag("zookeeper.storage.provider") == zk.Name).ToList();
        (string Operation, string Outcome)[] expected = [("read", "not_found"), ("write", "ok"), ("read", "ok"), ("write", "conflict"), ("write", "error"), ("clear", "ok")];
        Assert.Equal(expected, durations.Select(m => (m.Tag("zookeeper.storage.operation")!, m.Tag("zookeeper.storage.outcome")!)));
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 30));
        var conflict = Assert.Single(metrics.Of("zookeeper.storage.conflicts"), m => m.Tag("zookeeper.storage.provider") == zk.Name);
        Assert.Equal(("write", 1.0), (conflict.Tag("zookeeper.storage.operation"), conflict.Value));

        // The stored size (format mark included), as written and as read.
        var sizes = metrics.Of("zookeeper.storage.state.size").Where(m => m.Tag("zookeeper.storage.provider") == zk.Name).ToList();
        var expectedSize = Marks.Json.Length + System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new TestState { Value = 1, Text = "sized" }).Length;
        Assert.Equal([("write", expectedSize), ("read", expectedSize)], sizes.Select(m => (m.Tag("zookeeper.storage.operation")!, (int)m.Value)));
    }

    [Fact]
    public async Task Spans_nest_under_the_callers_the_clients_spans_nest_under_them_and_they_never_carry_data_or_credentials()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(ZooKeeperGrainStorageDiagnostics.ActivitySourceName, ZooKeeperClientDiagnostics.ActivitySourceName, "StorageTelemetryTests")
            .AddInMemoryExporter(spans)
            .Build();
        using var callerSource = new ActivitySource("StorageTelemetryTests");
        await using var zk = await fixture.StartStorageAsync(o => { o.Username = "tracer"; o.Password = "tr4cer-password"; });
        var id = Ids.Unique("traced");

        string callerId;
        ActivityTraceId traceId;
        using (var caller = callerSource.StartActivity("grain call"))
        {
            callerId = caller!.SpanId.ToString();
            traceId = caller.TraceId;
            var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "secret-payload" }, null);
            Assert.Same(caller, Activity.Current);
            await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), null));
            await zk.ReadAsync<TestState>(id);
        }

        tracer.ForceFlush();

        // The listener hears the whole process (other test classes run alongside, their spans arriving on other
        // threads): a copy of this test's trace only.
        spans = spans.ToArray().Where(s => s.TraceId == traceId).ToList();
        var storageSpans = spans.Where(s => s.Source.Name == ZooKeeperGrainStorageDiagnostics.ActivitySourceName).ToList();
        Assert.Equal(["zookeeper.storage write", "zookeeper.storage write", "zookeeper.storage read"], storageSpans.Select(s => s.DisplayName));
        Assert.All(storageSpans, s => Assert.Equal(callerId, s.ParentSpanId.ToString()));
        var write = storageSpans[0];
        Assert.Equal("write", write.GetTagItem("zookeeper.storage.operation"));
        Assert.Equal("traced", write.GetTagItem("orleans.grain.type"));
        Assert.Equal("state", write.GetTagItem("orleans.storage.state_name"));
        Assert.Equal(zk.PathFor(id, "state"), write.GetTagItem("zookeeper.path"));
        Assert.Equal(zk.Name, write.GetTagItem("zookeeper.storage.provider"));
        Assert.Equal("ok", write.GetTagItem("zookeeper.storage.outcome"));
        Assert.Equal(ActivityStatusCode.Unset, write.Status);
        var conflict = storageSpans[1];
        Assert.Equal("conflict", conflict.GetTagItem("zookeeper.storage.outcome"));
        Assert.Equal(ActivityStatusCode.Error, conflict.Status);
        Assert.Equal(typeof(InconsistentStateException).FullName, conflict.GetTagItem("error.type"));

        // The client's spans of a storage call are its children.
        var clientSpans = spans.Where(s => s.Source.Name == ZooKeeperClientDiagnostics.ActivitySourceName && s.ParentSpanId == write.SpanId).ToList();
        Assert.Contains(clientSpans, s => s.DisplayName == "zookeeper create2");

        foreach (var tag in spans.SelectMany(s => s.TagObjects))
        {
            var text = tag.Value?.ToString() ?? string.Empty;
            Assert.DoesNotContain("secret-payload", text);
            Assert.DoesNotContain("tr4cer-password", text);
        }
    }

    [Fact]
    public async Task In_a_silo_the_storage_span_nests_under_Orleans_own_spans_of_the_grain_call()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource("Microsoft.Orleans.*", ZooKeeperGrainStorageDiagnostics.ActivitySourceName)
            .AddInMemoryExporter(spans)
            .Build();
        var cluster = await fixture.HostingClusterAsync();
        var key = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var grain = cluster.Client.GetGrain<IStringProfileGrain>(key);
        await grain.Set("traced");
        tracer.ForceFlush();

        // This grain's write (other tests' grains may write alongside, their spans arriving on other threads: read a
        // copy); its key stands in the path as it is.
        var exported = spans.ToArray();
        var write = Assert.Single(exported, s => s.DisplayName == "zookeeper.storage write" && (s.GetTagItem("zookeeper.path") as string)?.Contains(key, StringComparison.Ordinal) == true);
        var parent = Assert.Single(exported, s => s.SpanId == write.ParentSpanId);
        Assert.StartsWith("Microsoft.Orleans.", parent.Source.Name, StringComparison.Ordinal);

        // ... and all the way up to the client's call of the grain.
        var chain = new List<Activity> { write };
        while (exported.FirstOrDefault(s => s.SpanId == chain[^1].ParentSpanId) is { } up)
        {
            chain.Add(up);
        }

        Assert.Contains(chain, s => s.Kind == ActivityKind.Server && s.Source.Name.StartsWith("Microsoft.Orleans.", StringComparison.Ordinal));
    }

    /// <summary>Collects every measurement of the storage meter.</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Recorded> _recorded = new();

        public MetricsRecorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ZooKeeperGrainStorageDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _recorded.Enqueue(new Recorded(i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _recorded.Enqueue(new Recorded(i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public List<Recorded> Of(string name) => _recorded.Where(r => r.Name == name).ToList();

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Recorded(string Name, double Value, KeyValuePair<string, object?>[] Tags)
    {
        public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key).Value as string;
    }
}
