using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Tests;

/// <summary>Records every log line (formatted message, structured values and exception) of the loggers it provides.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public List<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            lock (owner._lines)
            {
                owner._lines.Add($"{logLevel}: {formatter(state, exception)} [{values}] {exception}");
            }
        }
    }
}
