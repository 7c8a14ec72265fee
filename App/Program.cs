using Dashboard.App;
using Dashboard.App.Api;
using Dashboard.App.Auth;
using Dashboard.App.Components;
using Dashboard.App.Observability;
using Dashboard.App.Realtime;
using Dashboard.App.Security;
using Dashboard.Data;
using Dashboard.Jobs;
using Hangfire;
using MudBlazor.Services;

var builder = DashboardBuilder.Create(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://localhost:5000");
}

builder.Services.AddDashboardData();
builder.Services.AddDashboardJobs();
builder.Services.AddDashboardAuth();
builder.Services.AddKiosk();
builder.Services.AddTokenConnections();
builder.Services.AddActorContext();
builder.Services.AddDashboardHealthChecks();
builder.Services.AddProblemDetails();
builder.Services.AddApiErrors();
builder.Services.AddDashboardRateLimits();
builder.Services.AddDashboardObservability(builder.Configuration);
builder.Services.AddApiDocuments();

// Circuit options, chosen for many long-lived live pages and slow wall screens; the reasons are in
// docs/ARCHITECTURE.md ("Live pages", circuit options).
builder.Services.AddRazorComponents().AddInteractiveServerComponents(options =>
{
    options.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(2);
    options.DisconnectedCircuitMaxRetained = 100;
    options.MaxBufferedUnacknowledgedRenderBatches = 4;
    options.JSInteropDefaultCallTimeout = TimeSpan.FromSeconds(15);
}).AddHubOptions(hub =>
{
    hub.MaximumReceiveMessageSize = 32 * 1024;
    hub.MaximumParallelInvocationsPerClient = 1;
    hub.StreamBufferCapacity = 4;
});
builder.Services.AddSingleton<SharedLanes>();
builder.Services.AddSingleton<SharedAttention>();
builder.Services.AddSingleton<Dashboard.App.Components.Shared.TimelineRows>();
builder.Services.AddSingleton<Dashboard.App.Components.Pages.Changes.ChangeRows>();
builder.Services.AddSingleton<Dashboard.App.Components.Shared.LanePictures>();
builder.Services.AddMudServices();
builder.Services.AddHostedService<NativeHeapTrimmer>();
builder.Services.AddCascadingAuthenticationState();

var app = builder.Build();

await DatabaseStartup.InitializeAsync(app);
JobsServiceCollectionExtensions.ScheduleRecurringJobs(app.Services.GetRequiredService<IRecurringJobManager>());

app.UseSecurityHeaders();

// Pages: the developer page in Development, the calm /error page in Production, /not-found for
// unknown addresses. API requests never reach these: UseApiErrors, inside them, answers every
// API failure in the calling family's own format.
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        ExceptionHandlingPath = "/error",
        CreateScopeForErrors = true,
        StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
    });
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseErrorPagesAsGets();
app.UseRequestObserver();
app.UseApiErrors();
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();
app.UseActorContext();
app.UseAntiforgery();
app.UseFormProtection();

app.MapStaticAssets();
app.MapHealthEndpoints();
app.MapMetrics();
app.MapApiDocuments();
app.MapBenchEndpoints(app.Configuration);
app.MapTimelineApi();
app.MapWebhooksApi();
app.MapUsersApi();
app.MapAuditApi();
app.MapTokensApi();
app.MapDeliveryMetricsApi();
app.MapAttentionApi();
app.MapSuspectsApi();
app.MapFreezesApi();
app.MapPacketApi();
app.MapBigPandaApi();
app.MapMenderApi();
app.MapNomadApi();
app.MapTimelineHub();
app.MapAccountEndpoints();
app.MapKioskEndpoints();
app.MapHangfireDashboard("/hangfire", new Hangfire.DashboardOptions
{
    Authorization = [new AdminDashboardFilter()],
    DashboardTitle = "Dashboard jobs",
    AppPath = "/",
}).RequireAuthorization(AuthPolicies.Admin);

app.MapRazorComponents<App>().AddInteractiveServerRenderMode(options =>
{
    // Per-message deflate keeps a compressor (hundreds of KiB) per open page; render batches are
    // small binary diffs on a LAN, so memory per circuit matters more than bytes on the wire.
    options.DisableWebSocketCompression = true;
});

// Start-up (migrations, the EF model, the fleet import, the JIT) leaves garbage a long-running
// dashboard never needs again; give that memory back once the app is serving. See docs/BENCHMARKS.md.
app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(5));
    IdleMemory.Release();
}));

app.Run();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
