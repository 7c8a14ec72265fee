using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// The app's own account of the last seconds of browser traffic (requests started and finished, circuits,
/// hub messages, render batches, navigations asked for), kept in a ring, for a browser test that fails: it
/// tells a click that never reached the server from a navigation the server asked for and the browser never did.
/// Debug level for these categories only (<see cref="Rules"/>); nothing else is kept.
/// </summary>
public sealed class ServerTrace : ILoggerProvider
{
    private const int Keep = 2_000;
    private static readonly string[] Categories =
    [
        "Microsoft.AspNetCore.Components",
        "Microsoft.AspNetCore.SignalR",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    private readonly ConcurrentQueue<(DateTimeOffset At, string Line)> _lines = new();

    /// <summary>Filter rules for this provider alone: the app's own configuration keeps other providers at Warning for these.</summary>
    public static IEnumerable<LoggerFilterRule> Rules =>
        Categories.Select(c => new LoggerFilterRule(typeof(ServerTrace).FullName, c, LogLevel.Debug, null))
            .Append(new LoggerFilterRule(typeof(ServerTrace).FullName, null, LogLevel.None, null));

    /// <summary>The lines logged since <paramref name="since"/>, oldest first, at most <paramref name="max"/> (the newest).</summary>
    public IReadOnlyList<string> Since(DateTimeOffset since, int max = 150) =>
        [.. _lines.Where(l => l.At >= since).TakeLast(max).Select(l => $"{l.At:HH:mm:ss.fff} {l.Line}")];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ServerTrace owner, string category) : ILogger
    {
        private readonly string _short = category[(category.LastIndexOf('.') + 1)..];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // One line per component initialized, rendered or disposed would push out everything else.
            var message = formatter(state, exception);
            if (message.StartsWith("Initializing ", StringComparison.Ordinal) || message.StartsWith("Rendering component", StringComparison.Ordinal)
                || message.StartsWith("Disposing component", StringComparison.Ordinal)) return;
            // Hub invocations carry circuit descriptors kilobytes long; the start of a line says what happened.
            if (message.Length > 400) message = message[..400] + "…";
            var line = $"{_short}: {message}{(exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]")}";
            owner._lines.Enqueue((DateTimeOffset.UtcNow, line));
            while (owner._lines.Count > Keep) owner._lines.TryDequeue(out _);
        }
    }
}
