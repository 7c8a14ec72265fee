namespace Dashboard.App.Tests.Infrastructure;

/// <summary>A fresh data directory per app host, removed when the test run's host is disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dashboard-tests", Guid.NewGuid().ToString("N")[..12]);

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* SQLite may still hold the file for a moment; temp space is cleaned by the OS */ }
        catch (UnauthorizedAccessException) { }
    }
}
