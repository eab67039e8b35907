using Orleans.ZooKeeper.Tool.Cli;

// orleans-zk: Ctrl-C cancels the running command (an import stops between records); a second Ctrl-C ends the process.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!interrupted.IsCancellationRequested)
    {
        e.Cancel = true;
        interrupted.Cancel();
    }
};

return await ToolApp.RunAsync(args, Console.Out, Console.Error, interrupted.Token, interactive: !Console.IsOutputRedirected && !Console.IsErrorRedirected).ConfigureAwait(false);
