using System.Diagnostics;
using System.Globalization;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>One timed run of either client: wall time and client-process CPU over the timed section only.</summary>
/// <param name="Count">Operations in the timed section.</param>
/// <param name="Elapsed">Wall time of the timed section.</param>
/// <param name="Cpu">CPU time of the whole client process (all threads) over the timed section.</param>
/// <param name="Errors">Operations that completed with a ZooKeeper error.</param>
internal sealed record RunSample(int Count, TimeSpan Elapsed, TimeSpan Cpu, int Errors)
{
    public double OpsPerSecond => Elapsed > TimeSpan.Zero ? Count / Elapsed.TotalSeconds : double.NaN;

    public double CpuMicrosPerOp => Count > 0 ? Cpu.TotalMicroseconds / Count : double.NaN;
}

/// <summary>
/// Drives our <see cref="ZooKeeperClient"/> with the same workload shapes as java/ZkJavaBench.java:
/// setData/getData rotate over <c>{dataBase}/n0..n999</c> (created once, untimed, with the payload); create makes
/// <c>{createBase}/c{runId}-{i}</c>. Pipelined = issue every call without awaiting (the ValueTasks go into a
/// preallocated array), then await them all in order; sync = await one call after another. Path strings are built
/// before the timed section, as the Java driver does. No CancellationToken is passed to the client inside a timed
/// section (a cancellable token makes every request unpoolable and registers a callback; the Java client has no
/// equivalent cost).
/// </summary>
internal sealed class OurClientRunner : IAsyncDisposable
{
    /// <summary>Number of distinct nodes that setData/getData rotate over (as NODE_SET in ZkJavaBench.java).</summary>
    public const int NodeSet = 1000;

    private readonly ZooKeeperClient _client;
    private readonly byte[] _payload;
    private readonly string _dataBase;
    private readonly string[] _nodePaths;
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly Dictionary<string, List<string[]>> _createdByBase = new(StringComparer.Ordinal);
    private ValueTask<CreateResult>[] _createTasks;
    private ValueTask<Stat>[] _setTasks;
    private ValueTask<DataResult>[] _getTasks;
    private ValueTask[] _deleteTasks = [];
    private int _runCounter;

    private OurClientRunner(ZooKeeperClient client, byte[] payload, string dataBase, int maxCount)
    {
        _client = client;
        _payload = payload;
        _dataBase = dataBase;
        _nodePaths = new string[NodeSet];
        for (var i = 0; i < NodeSet; i++)
        {
            _nodePaths[i] = dataBase + "/n" + i.ToString(CultureInfo.InvariantCulture);
        }

        _createTasks = new ValueTask<CreateResult>[maxCount];
        _setTasks = new ValueTask<Stat>[maxCount];
        _getTasks = new ValueTask<DataResult>[maxCount];
    }

    public ZooKeeperClient Client => _client;

    /// <summary>Connects (one session) and creates the setData/getData node set with the payload (untimed).</summary>
    public static async Task<OurClientRunner> StartAsync(ZooKeeperClientOptions options, string dataBase, byte[] payload, int maxCount, CancellationToken ct)
    {
        var client = await ZooKeeperClient.ConnectAsync(options, logger: null, ct).ConfigureAwait(false);
        try
        {
            var runner = new OurClientRunner(client, payload, dataBase, maxCount);
            await runner.PrepareNodesAsync(ct).ConfigureAwait(false);
            return runner;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One timed run. <paramref name="createBase"/> is the parent for creates (created untimed if missing).</summary>
    public async Task<RunSample> RunAsync(string op, string mode, int count, string createBase, CancellationToken ct)
    {
        var paths = await PreparePathsAsync(op, count, createBase, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        // ---- timed section
        _self.Refresh();
        var cpu0 = _self.TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        var errors = mode switch
        {
            "pipelined" => await RunPipelinedAsync(op, paths, count).ConfigureAwait(false),
            "sync" => await RunSyncAsync(op, paths, count).ConfigureAwait(false),
            _ => throw new ArgumentException("mode must be pipelined or sync", nameof(mode)),
        };
        var elapsed = Stopwatch.GetElapsedTime(t0);
        _self.Refresh();
        var cpu = _self.TotalProcessorTime - cpu0;
        return new RunSample(count, elapsed, cpu, errors);
    }

    /// <summary>
    /// Bytes allocated by the whole process (all threads, GC.GetTotalAllocatedBytes(precise: true)) per operation over
    /// one pipelined run. The ValueTask array and the path strings are allocated before the measured region.
    /// </summary>
    public async Task<(double BytesPerOp, int Errors)> MeasurePipelinedAllocationAsync(string op, int count, string createBase, CancellationToken ct)
    {
        var paths = await PreparePathsAsync(op, count, createBase, ct).ConfigureAwait(false);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var errors = await RunPipelinedAsync(op, paths, count).ConfigureAwait(false);
        var after = GC.GetTotalAllocatedBytes(precise: true);
        return ((after - before) / (double)count, errors);
    }

    /// <summary>Deletes what creates made under <paramref name="createBase"/> (pipelined, known names), then the parent.</summary>
    public async Task CleanupAsync(string createBase, CancellationToken ct)
    {
        if (_createdByBase.Remove(createBase, out var batches))
        {
            foreach (var batch in batches)
            {
                if (_deleteTasks.Length < batch.Length)
                {
                    _deleteTasks = new ValueTask[batch.Length];
                }

                for (var i = 0; i < batch.Length; i++)
                {
                    _deleteTasks[i] = _client.DeleteAsync(batch[i]);
                }

                for (var i = 0; i < batch.Length; i++)
                {
                    try
                    {
                        await _deleteTasks[i].ConfigureAwait(false);
                    }
                    catch (NoNodeException)
                    {
                        // Never created (an error in the run) or already gone.
                    }

                    _deleteTasks[i] = default;
                }
            }
        }

        // Now (nearly) empty: a small getChildren, far from the 1 MB packet limit.
        await _client.DeleteRecursiveAsync(createBase, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the node set and its parent.</summary>
    public async Task CleanupDataAsync(CancellationToken ct)
        => await _client.DeleteRecursiveAsync(_dataBase, ct).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _self.Dispose();
        }
    }

    private async Task PrepareNodesAsync(CancellationToken ct)
    {
        await _client.EnsurePathAsync(_dataBase, cancellationToken: ct).ConfigureAwait(false);
        var creates = new ValueTask<CreateResult>[NodeSet];
        for (var i = 0; i < NodeSet; i++)
        {
            creates[i] = _client.CreateAsync(_nodePaths[i], _payload);
        }

        for (var i = 0; i < NodeSet; i++)
        {
            try
            {
                await creates[i].ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                await _client.SetDataAsync(_nodePaths[i], _payload, -1, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<string[]> PreparePathsAsync(string op, int count, string createBase, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        EnsureCapacity(count);
        var paths = new string[count];
        switch (op)
        {
            case "create":
                {
                    await _client.EnsurePathAsync(createBase, cancellationToken: ct).ConfigureAwait(false);
                    var prefix = createBase + "/c" + (++_runCounter).ToString(CultureInfo.InvariantCulture) + "-";
                    for (var i = 0; i < count; i++)
                    {
                        paths[i] = prefix + i.ToString(CultureInfo.InvariantCulture);
                    }

                    if (!_createdByBase.TryGetValue(createBase, out var list))
                    {
                        _createdByBase[createBase] = list = [];
                    }

                    list.Add(paths);
                    break;
                }

            case "setData" or "getData":
                for (var i = 0; i < count; i++)
                {
                    paths[i] = _nodePaths[i % NodeSet];
                }

                break;
            default:
                throw new ArgumentException("op must be create, setData or getData", nameof(op));
        }

        return paths;
    }

    private void EnsureCapacity(int count)
    {
        if (_createTasks.Length < count)
        {
            _createTasks = new ValueTask<CreateResult>[count];
            _setTasks = new ValueTask<Stat>[count];
            _getTasks = new ValueTask<DataResult>[count];
        }
    }

    private Task<int> RunPipelinedAsync(string op, string[] paths, int count) => op switch
    {
        "create" => PipelinedCreateAsync(paths, count),
        "setData" => PipelinedSetDataAsync(paths, count),
        _ => PipelinedGetDataAsync(paths, count),
    };

    private Task<int> RunSyncAsync(string op, string[] paths, int count) => op switch
    {
        "create" => SyncCreateAsync(paths, count),
        "setData" => SyncSetDataAsync(paths, count),
        _ => SyncGetDataAsync(paths, count),
    };

    // The six loops below are deliberately spelled out (no delegates, no generic indirection): each issues exactly
    // the public API call a user would make.
    private async Task<int> PipelinedCreateAsync(string[] paths, int count)
    {
        var tasks = _createTasks;
        var payload = _payload;
        for (var i = 0; i < count; i++)
        {
            tasks[i] = _client.CreateAsync(paths[i], payload);
        }

        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await tasks[i].ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }

            tasks[i] = default;
        }

        return errors;
    }

    private async Task<int> PipelinedSetDataAsync(string[] paths, int count)
    {
        var tasks = _setTasks;
        var payload = _payload;
        for (var i = 0; i < count; i++)
        {
            tasks[i] = _client.SetDataAsync(paths[i], payload);
        }

        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await tasks[i].ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }

            tasks[i] = default;
        }

        return errors;
    }

    private async Task<int> PipelinedGetDataAsync(string[] paths, int count)
    {
        var tasks = _getTasks;
        for (var i = 0; i < count; i++)
        {
            tasks[i] = _client.GetDataAsync(paths[i]);
        }

        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await tasks[i].ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }

            tasks[i] = default;
        }

        return errors;
    }

    private async Task<int> SyncCreateAsync(string[] paths, int count)
    {
        var errors = 0;
        var payload = _payload;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await _client.CreateAsync(paths[i], payload).ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }
        }

        return errors;
    }

    private async Task<int> SyncSetDataAsync(string[] paths, int count)
    {
        var errors = 0;
        var payload = _payload;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await _client.SetDataAsync(paths[i], payload).ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }
        }

        return errors;
    }

    private async Task<int> SyncGetDataAsync(string[] paths, int count)
    {
        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                await _client.GetDataAsync(paths[i]).ConfigureAwait(false);
            }
            catch (ZooKeeperException)
            {
                errors++;
            }
        }

        return errors;
    }
}
