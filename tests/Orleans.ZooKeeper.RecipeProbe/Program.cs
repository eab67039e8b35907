// A participant process for the recipe tests (tests/Orleans.ZooKeeper.Tests/Recipes/ProbeProcess.cs starts it).
//
//   RecipeProbe election|lock <servers> <base path> <scope> <session ms> <log file> <giveup|keep> <parent pid> [hold ms]
//
// It joins the election (or takes the lock, holds it for <hold ms> — 0: until killed — and takes it again) and,
// every few milliseconds on a dedicated thread, asks whether it leads / holds; every "yes" is appended to <log file>
// as a claim `claim <token> <t0> <t1>` (Stopwatch timestamps just before and after the question, a clock shared by
// every process on the machine). Announcements are logged as `event ...` lines. Lines are written unbuffered, so a
// SIGKILL loses nothing already claimed. The probe exits when its parent (the test run) is gone.
using System.Diagnostics;
using System.Globalization;
using Orleans.ZooKeeper;

var mode = args[0];
var servers = args[1];
var basePath = args[2];
var scope = args[3];
var sessionTimeout = TimeSpan.FromMilliseconds(int.Parse(args[4], CultureInfo.InvariantCulture));
var logPath = args[5];
var policy = args[6] == "keep" ? ZooKeeperSuspensionPolicy.KeepWhileSessionLeaseHolds : ZooKeeperSuspensionPolicy.GiveUp;
var parentPid = int.Parse(args[7], CultureInfo.InvariantCulture);
var holdMs = args.Length > 8 ? int.Parse(args[8], CultureInfo.InvariantCulture) : 0;

using var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1), System.Text.Encoding.ASCII) { AutoFlush = true };
var logLock = new object();
void Write(string line)
{
    lock (logLock)
    {
        log.WriteLine(line);
    }
}

var target = ZooKeeperTargetResolver.Resolve($"zookeeper://{servers}{basePath}", null);
await using var container = new ZooKeeperContainer("probe", target, new ZooKeeperContainerOptions { ConfigureClient = c => c.SessionTimeout = sessionTimeout });
container.StateChanged += (_, e) => Write($"state {e.State} {e.SessionId} {Stopwatch.GetTimestamp()}");
await container.StartAsync();
Write($"session {container.Client.SessionId} {Environment.ProcessId}");

Func<long> claim;
if (mode == "election")
{
    var election = container.CreateLeaderElection(scope, new ZooKeeperLeaderElectionOptions { SuspensionPolicy = policy, ParticipantId = $"probe-{Environment.ProcessId}" });
    election.StateChanged += (_, e) => Write($"event {(e.IsLeader ? "LEADER" : "FOLLOWER")} {e.FencingToken} {Stopwatch.GetTimestamp()} {e.Reason}");
    await election.StartAsync();
    claim = () => election.FencingToken;
}
else
{
    var theLock = container.CreateLock(scope, new ZooKeeperLockOptions { SuspensionPolicy = policy });
    ZooKeeperLease? current = null;
    _ = Task.Run(async () =>
    {
        while (true)
        {
            var lease = await theLock.AcquireAsync();
            Write($"event ACQUIRED {lease.FencingToken} {Stopwatch.GetTimestamp()}");
            Volatile.Write(ref current, lease);
            try
            {
                await Task.Delay(holdMs > 0 ? holdMs : Timeout.Infinite, lease.Lost);
            }
            catch (OperationCanceledException)
            {
                Write($"event LOST {lease.FencingToken} {Stopwatch.GetTimestamp()} {lease.LostReason}");
            }

            await lease.ReleaseAsync();
        }
    });
    claim = () => Volatile.Read(ref current) is { } lease && lease.IsValid ? lease.FencingToken : 0;
}

var claims = new Thread(() =>
{
    while (true)
    {
        var t0 = Stopwatch.GetTimestamp();
        var token = claim();
        var t1 = Stopwatch.GetTimestamp();
        if (token != 0)
        {
            Write($"claim {token} {t0} {t1}");
        }

        Thread.Sleep(3);
    }
}) { IsBackground = true, Name = "claims" };
claims.Start();

// Leave when the test run is gone.
while (true)
{
    await Task.Delay(500);
    try
    {
        using var parent = Process.GetProcessById(parentPid);
        if (parent.HasExited)
        {
            return;
        }
    }
    catch (ArgumentException)
    {
        return;
    }
}
