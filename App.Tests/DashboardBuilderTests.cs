using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Logging.Debug;
using Microsoft.Extensions.Logging.EventSource;
using Microsoft.Extensions.Options;

namespace Dashboard.App.Tests;

/// <summary>
/// The slim builder (<see cref="DashboardBuilder"/>) keeps what the default builder gave this app: the
/// configured console format, the debug and EventSource log providers and regex route constraints.
/// What it leaves out (IIS, HTTP/3) is checked not to load in <see cref="DatabaseStartupTests"/>.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class DashboardBuilderTests(AppFixture fixture)
{
    [Fact]
    public void Builder_KeepsTheDefaultBuildersLogProviders_AndTheConfiguredConsoleFormat()
    {
        var services = fixture.App.Services;
        var providers = services.GetServices<ILoggerProvider>().Select(p => p.GetType()).ToList();
        Assert.Contains(typeof(ConsoleLoggerProvider), providers);
        Assert.Contains(typeof(DebugLoggerProvider), providers);
        Assert.Contains(typeof(EventSourceLoggerProvider), providers);
        // Development's settings choose single lines and Production's JSON lines (DatabaseStartupTests sees those).
        var configured = services.GetRequiredService<IConfiguration>()["Logging:Console:FormatterName"];
        Assert.Equal(ConsoleFormatterNames.Simple, configured);
        Assert.Equal(configured, services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.SingleLine);
    }

    [Fact]
    public void Builder_KeepsRegexRouteConstraints()
    {
        var routes = fixture.App.Services.GetRequiredService<IOptions<RouteOptions>>().Value;
        Assert.True(routes.ConstraintMap.ContainsKey("regex"));
    }
}
