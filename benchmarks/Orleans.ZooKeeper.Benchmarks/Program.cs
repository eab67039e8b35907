// Entry point of the benchmarks:
//   client [--rounds N] [--async-continuations]   our .NET client vs the official Java client (ClientBenchmark.cs)
//   storage [--seconds N] [--rounds N] [--warmup N] [--concurrency N] [--diagnose]
//                                                    grain storage read-modify-write: our ZooKeeper provider vs our raw
//                                                    client vs Orleans' Redis provider vs memory storage (Storage/StorageBenchmark.cs)
//   scale [--states N,N] [--seconds N] [--rounds N] [--warmup N] [--concurrency N] [--snap-count N]
//                                                    N grain states (default 1,000 and 100,000) on a 3-node ensemble:
//                                                    rates, znodes, heap, snapshot, restart (Scale/ScaleBenchmark.cs)
//   reminders [--rounds N] [--concurrency N] [--ops N] Orleans' reminder table: ours vs raw vs Redis (Reminders/ReminderBenchmark.cs)
//   directory [--rounds N]                           Orleans' grain directory: ours vs raw vs Redis, interleaved rounds (GrainDirectory/DirectoryBenchmark.cs)
//   floor                                            our client vs a bare socket with prebuilt frames on the server-bound
//                                                    rows of `client`: how close ours is to what the server allows (Floor/FloorBenchmark.cs)
//   java-selftest [--tls]                            the Java reference client alone (JavaSelfTest.cs); --tls: over TLS 1.3
using Orleans.ZooKeeper.Benchmarks;
using Orleans.ZooKeeper.Benchmarks.Floor;
using Orleans.ZooKeeper.Benchmarks.Scale;
using Orleans.ZooKeeper.Benchmarks.Storage;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
var ct = cts.Token;

try
{
    switch (args.FirstOrDefault())
    {
        case "client":
            if (!ClientBenchmarkOptions.TryParse(args.AsSpan(1), out var options, out var error))
            {
                Console.Error.WriteLine(error);
                return Usage();
            }

            return await ClientBenchmark.RunAsync(options, ct);
        case "storage":
            if (!StorageBenchmarkOptions.TryParse(args.AsSpan(1), out var storageOptions, out var storageError))
            {
                Console.Error.WriteLine(storageError);
                return Usage();
            }

            return await StorageBenchmark.RunAsync(storageOptions, ct);
        case "scale":
            if (!ScaleBenchmarkOptions.TryParse(args.AsSpan(1), out var scaleOptions, out var scaleError))
            {
                Console.Error.WriteLine(scaleError);
                return Usage();
            }

            return await ScaleBenchmark.RunAsync(scaleOptions, ct);
        case "reminders":
            if (!Orleans.ZooKeeper.Benchmarks.Reminders.ReminderBenchmarkOptions.TryParse(args.AsSpan(1), out var reminderOptions, out var reminderError))
            {
                Console.Error.WriteLine(reminderError);
                return Usage();
            }

            return await Orleans.ZooKeeper.Benchmarks.Reminders.ReminderBenchmark.RunAsync(reminderOptions, ct);
        case "directory":
            if (Orleans.ZooKeeper.Benchmarks.GrainDirectories.DirectoryBenchmark.ParseRounds(args.AsSpan(1), out var directoryError) is not { } directoryRounds)
            {
                Console.Error.WriteLine(directoryError);
                return Usage();
            }

            return await Orleans.ZooKeeper.Benchmarks.GrainDirectories.DirectoryBenchmark.RunAsync(directoryRounds, ct);
        case "floor" when args.Length == 1:
            return await FloorBenchmark.RunAsync(ct);
        case "java-selftest" when args.Length == 1:
            return await JavaSelfTest.RunAsync(tls: false, ct);
        case "java-selftest" when args.Length == 2 && args[1] == "--tls":
            return await JavaSelfTest.RunAsync(tls: true, ct);
        default:
            return Usage();
    }
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Orleans.ZooKeeper.Benchmarks client [--rounds N] [--async-continuations]");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks storage [--seconds N] [--rounds N] [--warmup N] [--concurrency N] [--diagnose]");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks scale [--states N,N] [--seconds N] [--rounds N] [--warmup N] [--concurrency N] [--snap-count N]");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks reminders [--rounds N] [--concurrency N] [--ops N]");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks directory [--rounds N]");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks floor");
    Console.Error.WriteLine("       Orleans.ZooKeeper.Benchmarks java-selftest [--tls]");
    return 2;
}
