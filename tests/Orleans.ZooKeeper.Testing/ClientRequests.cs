using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// Records the requests one session of our client makes, as <c>"{operation} {path}"</c>, from the client's spans
/// (activity source <c>Orleans.ZooKeeper.Client</c>): what a test asserts when it promises "one round trip" or "lists
/// only these nodes". Requests on the node given as ignoredAtOrAbove or its ancestors are left out (a container making
/// sure of its own path whenever it becomes CONNECTED, which may land at any time).
/// </summary>
public sealed class ClientRequests : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<string> _requests = new();

    public ClientRequests(long sessionId, string? ignoredAtOrAbove = null)
    {
        var session = $"0x{sessionId:x}";
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Orleans.ZooKeeper.Client",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if ((a.GetTagItem("zookeeper.session_id") as string) != session)
                {
                    return;
                }

                var path = a.GetTagItem("zookeeper.path") as string;
                if (path is not null && ignoredAtOrAbove is not null && IsAtOrAbove(path, ignoredAtOrAbove))
                {
                    return;
                }

                _requests.Enqueue($"{a.GetTagItem("zookeeper.operation")} {path}".TrimEnd());
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The requests recorded since the last call (in the order they completed).</summary>
    public List<string> Take()
    {
        var taken = new List<string>();
        while (_requests.TryDequeue(out var request))
        {
            taken.Add(request);
        }

        return taken;
    }

    /// <summary>The operations alone (<c>getData</c>, <c>multiRead</c>, …) since the last call.</summary>
    public List<string> TakeOperations() => Take().Select(r => r.Split(' ')[0]).ToList();

    public void Dispose() => _listener.Dispose();

    private static bool IsAtOrAbove(string path, string node)
        => path == "/" || node == path || (node.StartsWith(path, StringComparison.Ordinal) && node.Length > path.Length && node[path.Length] == '/');
}
