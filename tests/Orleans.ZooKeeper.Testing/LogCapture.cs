using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Testing;

/// <summary>Records every log entry (formatted message, state values and exception).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();
    private readonly ConcurrentQueue<LogRecord> _records = new();

    /// <summary>The entries so far, live (each line is "{level} {category}: {message} [{key=value | ...}] {exception}").</summary>
    public IReadOnlyCollection<string> Entries => _entries;

    /// <summary>A snapshot of the entries so far.</summary>
    public List<string> Lines => [.. _entries];

    /// <summary>Every entry with its level, event, category and structured values.</summary>
    public IReadOnlyCollection<LogRecord> Records => _records;

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
            var pairs = state is IEnumerable<KeyValuePair<string, object?>> list ? list.ToArray() : [];
            var values = string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}"));
            var message = formatter(state, exception);
            owner._entries.Enqueue($"{logLevel} {category}: {message} [{values}] {exception}");
            owner._records.Enqueue(new LogRecord(logLevel, eventId, category, message, pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value), exception));
        }
    }
}

/// <summary>One captured log entry.</summary>
/// <param name="Level">Its level.</param>
/// <param name="EventId">Its event.</param>
/// <param name="Category">The logger's category.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Values">The structured values by name (the template under <c>{OriginalFormat}</c>).</param>
/// <param name="Exception">The exception, if any.</param>
public sealed record LogRecord(LogLevel Level, EventId EventId, string Category, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception);
