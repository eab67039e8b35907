using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Testing;

/// <summary>Records every log entry (formatted message, state values and exception).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    /// <summary>The entries so far, live (each line is "{level} {category}: {message} [{key=value | ...}] {exception}").</summary>
    public IReadOnlyCollection<string> Entries => _entries;

    /// <summary>A snapshot of the entries so far.</summary>
    public List<string> Lines => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            owner._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
