using Microsoft.Extensions.Logging.Console;

namespace Dashboard.App;

/// <summary>
/// The web application builder: ASP.NET Core's slim builder, with back everything of the default one
/// this app or its operators use. What stays out is what a Linux node never runs, yet the default
/// builder loads and initialises at every start: IIS integration (Windows only), the HTTP/3 transport
/// (no endpoint here enables HTTP/3, and Debian ships no msquic; the default builder probes for it at
/// start-up) and the hosting-startup scan. About 2-3 MB of idle memory (docs/BENCHMARKS.md, "Idle
/// memory", ninth session).
/// </summary>
public static class DashboardBuilder
{
    public static WebApplicationBuilder Create(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);

        // The slim builder logs through the simple console format only; the default one honours
        // Logging:Console (appsettings.json chooses JSON lines) and adds the debug and EventSource
        // providers (dotnet-trace and dotnet-monitor read logs through the latter).
        builder.Services.Configure<ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));
        builder.Logging.AddDebug();
        builder.Logging.AddEventSourceLogger();

        // HTTPS endpoints and certificates from configuration (Kestrel:Endpoints), and regex route
        // constraints, as with the default builder.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddRouting();

        // Static assets from where a build (not a publish) left them: the repository's wwwroot and the
        // packages' (MudBlazor's _content in the NuGet cache), as listed in the build's runtime manifest.
        // In every environment, not only Development: a Release build run from bin/ otherwise answered
        // every asset with an empty 200 and logged "The WebRootPath was not found" (App/ has no wwwroot).
        // Published output has no runtime manifest and its own wwwroot, so there this does nothing.
        builder.WebHost.UseStaticWebAssets();

        return builder;
    }
}
