using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.Logging;

namespace Dashboard.Jobs;

/// <summary>
/// Hangfire keeps its log provider in a static. When a second host in the same process (the tests
/// start several) is disposed, the static may still point at that host's disposed logger factory,
/// and Hangfire then fails to create jobs. This provider falls back to silence instead of failing.
/// </summary>
internal sealed class HostTolerantLogProvider(ILoggerFactory loggers) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggers);

    public ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
