using Bunit;
using TestContext = Xunit.TestContext;
using Dashboard.App.Components.Pages.Batches;
using Dashboard.App.Tests.Batches;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Freezes;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Components;

public sealed class BatchComponentsTests : MudBunitContext
{
    private async Task<DataServices> ServicesAsync(double failureRate = 0)
    {
        var data = await BatchServiceTests.SeededAsync(failureRate);
        Services.AddSingleton(data.Get<BatchService>());
        Services.AddSingleton(data.Get<FleetService>());
        Services.AddSingleton(data.Get<FreezeService>());
        Services.AddSingleton(data.Get<Dashboard.Data.Suspects.SuspectService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<ProgressNotifier>());
        return data;
    }

    [Fact]
    public async Task BatchesPage_ListsBatches_AndShowsNewOnesLive()
    {
        await using var data = await ServicesAsync();
        var batches = data.Get<BatchService>();
        var runner = data.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;

        var cut = RenderWithProviders<BatchesPage>();
        cut.WaitForElement("[data-testid=batches-empty]");
        var batch = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(3, "live{{index}}")], "alice", ct));

        cut.WaitForAssertion(() => Assert.Equal("queued", cut.Find("[data-testid=batch-state]").GetAttribute("data-state")));
        await runner.RunAsync(batch.Id, ct);
        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=batch-state]").GetAttribute("data-state")));
        Assert.Contains("live{{index}}", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchDetailPage_ShowsDevicesAndPerDeviceErrors_AsTheBatchProgresses()
    {
        await using var data = await ServicesAsync(failureRate: 0.3);
        var batches = data.Get<BatchService>();
        var runner = data.Get<BatchRunner>();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await batches.SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(10, "d{{index}}", "dfw1")], "alice", ct));

        var cut = RenderWithProviders<BatchDetailPage>(p => p.Add(x => x.Id, batch.Id));
        cut.WaitForAssertion(() => Assert.Equal("queued", cut.Find("[data-testid=batch-header] [data-testid=batch-state]").GetAttribute("data-state")));
        await runner.RunAsync(batch.Id, ct);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("failed", cut.Find("[data-testid=batch-header] [data-testid=batch-state]").GetAttribute("data-state"));
            var devices = cut.FindAll("[data-testid=device-hostname]").Count;
            var errors = cut.FindAll("[data-testid=batch-error]");
            Assert.NotEmpty(errors);
            Assert.Equal(10, devices + errors.Count);
            Assert.All(errors, e => Assert.Contains("(dfw1):", e.TextContent, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task BatchDetailPage_SaysSo_ForAnUnknownBatch()
    {
        await using var data = await ServicesAsync();

        var cut = RenderWithProviders<BatchDetailPage>(p => p.Add(x => x.Id, "nope"));

        cut.WaitForElement("[data-testid=batch-missing]");
    }

    // Through the renderer's dispatcher: the wizard renders its previews as their queries answer (see RendererActions).
    private static Task NextAsync(IRenderedComponent<BatchWizardPage> cut) => cut.ClickAsync("[data-testid=wizard-next]");

    private static Task TypeAsync(IRenderedComponent<BatchWizardPage> cut, string testId, string value) =>
        cut.InputAsync($"input[data-testid={testId}], [data-testid={testId}] input", value);

    [Fact]
    public async Task Wizard_ShowsTheApisErrorNextToTheField_AndStaysOnTheStep()
    {
        await using var data = await ServicesAsync();
        var cut = RenderWithProviders<BatchWizardPage>();
        cut.WaitForElement("[data-testid=wizard-next]");

        await NextAsync(cut);
        cut.WaitForElement("[data-testid=field-hostname]");
        await TypeAsync(cut, "field-hostname", "web{{indx}}");
        await NextAsync(cut);

        cut.WaitForAssertion(() => Assert.Contains("hostname contains '{{indx}}': the only placeholder is {{index}}.", System.Net.WebUtility.HtmlDecode(cut.Markup), StringComparison.Ordinal));
        Assert.NotEmpty(cut.FindAll("[data-testid=field-hostname]"));

        await TypeAsync(cut, "field-hostname", "web{{index}}");
        cut.WaitForAssertion(() => Assert.Equal("web1, web2, web3", cut.Find("[data-testid=hostname-preview]").TextContent));
        Assert.DoesNotContain("the only placeholder", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wizard_PreviewsThePlacement_WithThePlacementService()
    {
        await using var data = await ServicesAsync();
        var cut = RenderWithProviders<BatchWizardPage>();
        cut.WaitForElement("[data-testid=wizard-next]");
        await NextAsync(cut);
        cut.WaitForElement("[data-testid=field-quantity]");
        await TypeAsync(cut, "field-quantity", "25");
        await NextAsync(cut);

        cut.WaitForElement("[data-testid=add-sjc1]");
        await cut.ClickAsync("[data-testid=add-sjc1]");
        await cut.ClickAsync("[data-testid=add-ewr1]");
        await TypeAsync(cut, "field-diversity", "2");

        cut.WaitForAssertion(() => Assert.Contains("Placement if submitted now: 7 in sjc1, 18 in ewr1", cut.Find("[data-testid=placement-preview]").TextContent, StringComparison.Ordinal));
        Assert.Equal("7", cut.Find("[data-testid=available-sjc1]").TextContent);
        Assert.Equal("18", cut.Find("[data-testid=placed-ewr1]").TextContent);
    }

    [Fact]
    public async Task Wizard_RejectsADiversityLevelLargerThanTheFacilitiesListed_AsTheApiDoes()
    {
        await using var data = await ServicesAsync();
        var cut = RenderWithProviders<BatchWizardPage>();
        cut.WaitForElement("[data-testid=wizard-next]");
        await NextAsync(cut);
        await NextAsync(cut);
        cut.WaitForElement("[data-testid=add-sjc1]");
        await cut.ClickAsync("[data-testid=add-sjc1]");
        await cut.ChangeAsync("input[data-testid=field-any], [data-testid=field-any] input", false);
        await TypeAsync(cut, "field-diversity", "2");
        await NextAsync(cut);

        cut.WaitForAssertion(() => Assert.Contains("facility_diversity_level 2 is larger than the 1 facility listed.", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=curl-command]"));
    }

    [Fact]
    public void Curl_IsTheSeedsRequestShape()
    {
        var request = BatchServiceTests.Request(3, "test.server{{index}}.com");
        request.Description = "It's mine";

        var curl = Dashboard.App.Api.PacketCurl.For("http://localhost:5000/", "P1", request);

        Assert.StartsWith("curl -X POST -H 'X-Auth-Token: API-TOKEN' -H 'Content-Type: application/json' -d '{", curl, StringComparison.Ordinal);
        Assert.EndsWith("}' \"http://localhost:5000/projects/P1/devices/batch\"", curl, StringComparison.Ordinal);
        Assert.Contains("\"facility\": \"any\"", curl, StringComparison.Ordinal);
        Assert.Contains("\"hostname\": \"test.server{{index}}.com\"", curl, StringComparison.Ordinal);
        Assert.DoesNotContain("It's", curl, StringComparison.Ordinal);
    }
}
