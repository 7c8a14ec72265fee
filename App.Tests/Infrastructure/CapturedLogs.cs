using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>The app's error-level log entries, so a test can check what was logged and how often.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private const int Keep = 500;
    private readonly ConcurrentQueue<Entry> _entries = new();

    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
            while (owner._entries.Count > Keep) owner._entries.TryDequeue(out _);
        }
    }
}
