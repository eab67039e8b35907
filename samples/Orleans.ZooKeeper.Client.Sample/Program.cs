// Direct use of Orleans.ZooKeeper.Client: connect, follow the connection state, store a counter that survives
// restarts, advertise this process with an ephemeral-sequential node, watch, and run a transaction.
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.ZooKeeper.Client;

var servers = Environment.GetEnvironmentVariable("ASAB_ZOOKEEPER_SERVERS") ?? "127.0.0.1:2181";
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));

await using var client = new ZooKeeperClient(
    new ZooKeeperClientOptions { ConnectString = servers + "/orleans-zookeeper-sample", SessionTimeout = TimeSpan.FromSeconds(10) },
    loggerFactory.CreateLogger<ZooKeeperClient>());
client.StateChanged += (_, change) => Console.WriteLine($"state: {change.PreviousState} -> {change.State} ({change.KeeperState}, session 0x{change.SessionId:x})");

// The chroot must exist before we can work inside it: create it through a client without chroot.
await using (var setup = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = servers }))
{
    await setup.EnsurePathAsync("/orleans-zookeeper-sample");
}

await client.ConnectAsync();

// A counter that survives restarts: optimistic concurrency with the node's version.
await client.EnsurePathAsync("/counter");
while (true)
{
    var current = await client.GetDataAsync("/counter");
    var value = current.Data.Length == 0 ? 0 : int.Parse(Encoding.UTF8.GetString(current.Data));
    try
    {
        await client.SetDataAsync("/counter", Encoding.UTF8.GetBytes((value + 1).ToString()), current.Stat.Version);
        Console.WriteLine($"this sample has run {value + 1} time(s) against this ZooKeeper");
        break;
    }
    catch (BadVersionException)
    {
        // Someone else incremented it meanwhile: read again.
    }
}

// Advertise this process: an ephemeral-sequential node that vanishes when the session ends.
await client.EnsurePathAsync("/members");
var me = await client.CreateAsync("/members/member-", Encoding.UTF8.GetBytes(Environment.MachineName), CreateMode.EphemeralSequential);
Console.WriteLine($"advertised as {me.Path}");

// Watch the members list and change it in a transaction.
var changed = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
var members = await client.GetChildrenAsync("/members", e => changed.TrySetResult(e));
Console.WriteLine($"members now: {string.Join(", ", members)}");
await client.MultiAsync([
    Op.Create("/members/temporary", "t"u8.ToArray(), CreateMode.Ephemeral),
    Op.Check("/counter", -1),
]);
var evt = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
Console.WriteLine($"watch fired: {evt.Type} on {evt.Path}");

await client.CloseAsync();
Console.WriteLine("closed; the ephemeral nodes are gone");
