using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Dashboard.MenderFleet;

/// <summary>Calls by type (count, status codes, errors, latency histogram) and device milestones, safe to update from every device at once.</summary>
public sealed class FleetStats
{
    private readonly ConcurrentDictionary<string, CallStats> _calls = new(StringComparer.Ordinal);
    private long _authenticated, _deploymentsStarted, _succeeded, _failed, _aborted, _alreadyInstalled, _logsUploaded, _devicesDone;

    public CallStats Call(string type) => _calls.GetOrAdd(type, static t => new CallStats(t));
    public IReadOnlyCollection<CallStats> Calls => [.. _calls.Values.OrderBy(c => c.Type, StringComparer.Ordinal)];

    public long Authenticated => Interlocked.Read(ref _authenticated);
    public long DeploymentsStarted => Interlocked.Read(ref _deploymentsStarted);
    public long Succeeded => Interlocked.Read(ref _succeeded);
    public long Failed => Interlocked.Read(ref _failed);
    public long Aborted => Interlocked.Read(ref _aborted);
    public long AlreadyInstalled => Interlocked.Read(ref _alreadyInstalled);
    public long LogsUploaded => Interlocked.Read(ref _logsUploaded);
    public long DevicesDone => Interlocked.Read(ref _devicesDone);
    public long TotalCalls => _calls.Values.Sum(c => c.Count);

    public void DeviceAuthenticated() => Interlocked.Increment(ref _authenticated);
    public void DeploymentStarted() => Interlocked.Increment(ref _deploymentsStarted);
    public void DeploymentSucceeded() => Interlocked.Increment(ref _succeeded);
    public void DeploymentFailed() => Interlocked.Increment(ref _failed);
    public void DeploymentAborted() => Interlocked.Increment(ref _aborted);
    public void DeploymentAlreadyInstalled() => Interlocked.Increment(ref _alreadyInstalled);
    public void LogUploaded() => Interlocked.Increment(ref _logsUploaded);
    public void DeviceDone() => Interlocked.Increment(ref _devicesDone);

    private const int MaxSamples = 20;
    private readonly ConcurrentQueue<string> _samples = new();

    /// <summary>The first few responses the real client would not accept, with their bodies, to show what disagreed.</summary>
    public IReadOnlyCollection<string> UnexpectedSamples => _samples;
    public long UnexpectedCount => _calls.Values.Sum(c => c.Errors);

    public void Unexpected(string type, int statusCode, string detail)
    {
        if (_samples.Count >= MaxSamples) return;
        var text = detail.ReplaceLineEndings(" ");
        _samples.Enqueue($"{type} {(statusCode == 0 ? "no response" : statusCode.ToString(CultureInfo.InvariantCulture))}: {(text.Length > 300 ? text[..300] + "..." : text)}");
    }

    /// <summary>The figures as one JSON-serialisable object: milestones, and per call type count, rate, p50/p99/max and status codes.</summary>
    public object Summary(TimeSpan elapsed, FleetOptions options) => new
    {
        devices = options.Devices,
        seconds = Math.Round(elapsed.TotalSeconds, 2),
        concurrency = options.Concurrency,
        rate = options.Rate,
        accepted = Authenticated,
        deployments = DeploymentsStarted,
        success = Succeeded,
        failure = Failed,
        aborted = Aborted,
        already_installed = AlreadyInstalled,
        logs = LogsUploaded,
        unexpected = UnexpectedCount,
        calls = Calls.ToDictionary(c => c.Type, c => (object)new
        {
            count = c.Count,
            per_second = Math.Round(c.Count / Math.Max(elapsed.TotalSeconds, 0.001), 1),
            p50_ms = Math.Round(c.Percentile(0.50), 2),
            p99_ms = Math.Round(c.Percentile(0.99), 2),
            max_ms = Math.Round(c.Max, 2),
            errors = c.Errors,
            codes = c.Codes,
        }),
    };

    public string Table(TimeSpan elapsed)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"call",-16} {"count",9} {"per s",9} {"p50 ms",9} {"p99 ms",9} {"max ms",9} {"errors",7}  status codes");
        foreach (var call in Calls)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{call.Type,-16} {call.Count,9} {call.Count / Math.Max(elapsed.TotalSeconds, 0.001),9:0.0} {call.Percentile(0.50),9:0.00} {call.Percentile(0.99),9:0.00} {call.Max,9:0.00} {call.Errors,7}  {call.Codes}");
        }
        return text.ToString();
    }
}

/// <summary>
/// One call type. Latencies go into logarithmic buckets 2 % wide (10 µs to ~3 min), so millions of
/// samples cost a fixed kilobyte array and percentiles are within 2 %.
/// </summary>
public sealed class CallStats(string type)
{
    private const double Growth = 1.02;
    private const double SmallestMs = 0.01;
    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _buckets = new long[850];
    private readonly ConcurrentDictionary<int, long> _codes = new();
    private long _count, _errors, _maxTicks;

    public string Type { get; } = type;
    public long Count => Interlocked.Read(ref _count);
    public long Errors => Interlocked.Read(ref _errors);
    public double Max => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks)).TotalMilliseconds;
    public string Codes => string.Join(' ', _codes.OrderBy(c => c.Key).Select(c => $"{c.Key}:{c.Value}"));
    public long CodeCount(int code) => _codes.TryGetValue(code, out var n) ? n : 0;

    /// <summary>Records a completed call with its HTTP status code (0 when there was no response); <paramref name="expected"/> is false for anything the real client would not accept.</summary>
    public void Record(TimeSpan latency, int statusCode, bool expected)
    {
        Interlocked.Increment(ref _count);
        if (!expected) Interlocked.Increment(ref _errors);
        _codes.AddOrUpdate(statusCode, 1, static (_, n) => n + 1);
        Interlocked.Increment(ref _buckets[Bucket(latency.TotalMilliseconds)]);
        var ticks = latency.Ticks;
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, seen) != seen) { }
    }

    /// <summary>The latency below which <paramref name="fraction"/> of the calls completed, in milliseconds (the bucket's upper edge).</summary>
    public double Percentile(double fraction)
    {
        var total = Count;
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(fraction * total);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank) return Math.Min(SmallestMs * Math.Pow(Growth, i + 1), Max);
        }
        return Max;
    }

    private int Bucket(double milliseconds)
    {
        if (milliseconds <= SmallestMs) return 0;
        var index = (int)(Math.Log(milliseconds / SmallestMs) / LogGrowth);
        return Math.Clamp(index, 0, _buckets.Length - 1);
    }
}
