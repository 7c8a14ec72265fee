using Bunit;
using Dashboard.App.Components.Pages.Rollouts;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Freezes;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class RolloutComponentsTests : MudBunitContext
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<DataServices> ServicesAsync()
    {
        var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<RolloutService>());
        Services.AddSingleton(data.Get<ArtifactService>());
        Services.AddSingleton(data.Get<Dashboard.Data.Suspects.SuspectService>());
        Services.AddSingleton(data.Get<MenderInventoryService>());
        Services.AddSingleton(data.Get<MenderDeviceService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<ProgressNotifier>());
        Services.AddSingleton(data.Get<FreezeService>());
        // The live feed paces itself by the page's clock; the services' fake clock starts at the real time.
        Services.AddSingleton(TimeProvider.System);
        data.Clock.SetUtcNow(TimeProvider.System.GetUtcNow());
        return data;
    }

    [Fact]
    public async Task Wizard_ShowsTheApisRoundingError_ThenThePerPhaseCounts()
    {
        await using var data = await ServicesAsync();
        await RolloutServiceTests.SeedDevicesAsync(data, 3);
        await RolloutServiceTests.SeedArtifactAsync(data, "wizard-app", "demo-device");

        var cut = RenderWithProviders<RolloutWizardPage>();
        cut.WaitForElement("[data-testid=rollout-wizard]");
        await TypeAsync(cut, "field-name", "canary");
        await cut.ClickAsync("[data-testid=wizard-next]");
        cut.WaitForElement("[data-testid=target-count]");
        Assert.Contains("3 devices match, 3 of them with a compatible artifact", cut.Find("[data-testid=target-count]").TextContent);
        await cut.ClickAsync("[data-testid=wizard-next]");

        // The default first phase is 10 %: of 3 devices that is 0.3, so 0, and the service says so.
        cut.WaitForAssertion(() => Assert.Equal("phase 1: 10 % of 3 devices rounds down to 0 devices; choose a larger batch_size",
            cut.Find("[data-testid=phase-error]").TextContent.Trim()));

        await cut.InputAsync(() => cut.FindAll("input[data-testid=field-percent], [data-testid=field-percent] input")[0], "34");
        cut.WaitForAssertion(() =>
        {
            var previews = cut.FindAll("[data-testid=phase-preview]").Select(p => p.TextContent.Trim()).ToList();
            Assert.Equal(["34 % of 3 = 1.02 → 1 device", "the rest → 2 devices"], previews);
            Assert.Empty(cut.FindAll("[data-testid=phase-error]"));
        });
        await cut.ClickAsync("[data-testid=wizard-next]");
        await cut.ClickAsync("[data-testid=wizard-next]");
        cut.WaitForAssertion(() => Assert.Contains("\"batch_size\": 34", cut.Find("[data-testid=api-request]").TextContent));
        Assert.Contains("\"all_devices\": true", cut.Find("[data-testid=api-request]").TextContent);
    }

    [Fact]
    public async Task DetailPage_ShowsPhasesAndCounters_AndUpdatesThemLive()
    {
        await using var data = await ServicesAsync();
        var ids = (await RolloutServiceTests.SeedDevicesAsync(data, 4)).Order(StringComparer.Ordinal).ToList();
        await RolloutServiceTests.SeedArtifactAsync(data, "detail-app", "demo-device");
        var now = data.Clock.GetUtcNow().UtcDateTime;
        var rollout = await data.Get<RolloutService>().CreateAsync(new RolloutRequest
        {
            Name = "live", ArtifactName = "detail-app", AllDevices = true,
            Phases = [new(50, null), new(null, now.AddMinutes(90))],
        }, "alice", Ct);

        var cut = RenderWithProviders<RolloutDetailPage>(p => p.Add(x => x.Id, rollout.Id));
        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=counter-pending] [data-testid=counter-value]").TextContent), Patience);
        var phases = cut.FindAll("[data-testid=phase]");
        Assert.Equal("true", phases[0].GetAttribute("data-started"));
        Assert.Contains("in 1h ", phases[1].TextContent);

        var devices = data.Get<DeviceDeploymentService>();
        var provides = new Dictionary<string, string> { ["artifact_name"] = "old", ["device_type"] = "demo-device" };
        Assert.NotNull(await devices.NextAsync(ids[0], provides, Ct));
        await devices.ReportStatusAsync(ids[0], rollout.Id, "success", null, Ct);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-testid=counter-success] [data-testid=counter-value]").TextContent);
            Assert.Equal("3", cut.Find("[data-testid=counter-pending] [data-testid=counter-value]").TextContent);
        }, Patience);

        await data.Get<RolloutService>().AbortAsync(rollout.Id, "alice", Ct);
        cut.WaitForAssertion(() => Assert.Equal("aborted", cut.Find("[data-testid=rollout-state]").GetAttribute("data-state")), Patience);
        Assert.Equal("3", cut.Find("[data-testid=counter-aborted] [data-testid=counter-value]").TextContent);
    }

    private static async Task ReportAsync(DataServices data, string deviceId, string board) =>
        await data.Get<MenderInventoryService>().UpdateDeviceAttributesAsync(deviceId, [("board", System.Text.Json.JsonSerializer.SerializeToElement(board))], replace: false, Ct);

    /// <summary>Picks an option of the <paramref name="nth"/> select with <paramref name="testId"/> as a person would, through its ValueChanged.</summary>
    private static Task ChooseAsync(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> cut, string testId, string value, int nth = 0)
    {
        var select = cut.FindComponents<MudSelect<string>>().Where(s => s.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == testId).ElementAt(nth);
        return cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    /// <summary>The preview is debounced and queries the database: on a loaded machine it can take seconds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> cut, string testId) =>
        cut.Find($"input[data-testid={testId}], [data-testid={testId}] input");

    /// <summary>Types into an input through the renderer's dispatcher: the preview renders as its answer arrives (see <see cref="RendererActions"/>).</summary>
    private static Task TypeAsync(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> cut, string testId, string value) =>
        cut.InputAsync(() => Input(cut, testId), value);

    [Fact]
    public async Task FiltersPage_PreviewsAsYouType_ShowsTheApisErrorsInTheForm_SavesAndDeletes()
    {
        await using var data = await ServicesAsync();
        var ids = (await RolloutServiceTests.SeedDevicesAsync(data, 3)).Order(StringComparer.Ordinal).ToList();
        await ReportAsync(data, ids[0], "raspberrypi4");
        await ReportAsync(data, ids[1], "raspberrypi3");
        await ReportAsync(data, ids[2], "beaglebone");

        var cut = RenderWithProviders<FiltersPage>();
        cut.WaitForElement("[data-testid=filter-builder]", Patience);
        await ChooseAsync(cut, "term-attribute", "inventory/board");
        await ChooseAsync(cut, "term-operator", "$regex");
        await TypeAsync(cut, "term-value", "rasp");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2 accepted devices match", cut.Find("[data-testid=filter-preview-count]").TextContent);
            Assert.Equal([$"dev-{ids[0]}", $"dev-{ids[1]}"], cut.FindAll("[data-testid=filter-preview-device]").Select(d => d.TextContent));
        }, Patience);
        Assert.Contains("\"type\": \"$regex\"", cut.Find("[data-testid=filter-request]").TextContent);

        // The service's own message, beside the row it is about, as the operator types.
        await TypeAsync(cut, "term-value", "(rasp");
        cut.WaitForAssertion(() => Assert.Contains("terms[0]: '(rasp' is not a valid regular expression", cut.Find("[data-testid=term-row]").TextContent), Patience);
        await TypeAsync(cut, "term-value", "rasp");
        cut.WaitForAssertion(() => Assert.DoesNotContain("regular expression", cut.Find("[data-testid=term-row]").TextContent), Patience);

        // Saving without a name: the API's message at the name field, and nothing saved.
        await cut.ClickAsync("[data-testid=filter-save]");
        cut.WaitForAssertion(() => Assert.Contains("name: cannot be blank", cut.Find("[data-testid=filter-builder]").TextContent), Patience);
        Assert.Empty(await data.Get<MenderInventoryService>().FiltersAsync(Ct));

        await TypeAsync(cut, "filter-name", "raspberries");
        await cut.ClickAsync("[data-testid=filter-save]");
        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-testid=saved-filter] [data-testid=saved-filter-count]").TextContent), Patience);
        var saved = Assert.Single(await data.Get<MenderInventoryService>().FiltersAsync(Ct));
        Assert.Equal(new FilterTerm("inventory", "board", "$regex", "\"rasp\""), Assert.Single(saved.Terms));

        // The same name again is the API's conflict, shown at the name.
        await TypeAsync(cut, "filter-name", "raspberries");
        await ChooseAsync(cut, "term-operator", "$exists");
        await cut.ClickAsync("[data-testid=filter-save]");
        cut.WaitForAssertion(() => Assert.Contains("a filter named 'raspberries' already exists", cut.Find("[data-testid=filter-builder]").TextContent), Patience);

        await cut.ClickAsync("[data-testid=delete-filter]");
        cut.WaitForElement("[data-testid=no-filters]", Patience);
        Assert.Empty(await data.Get<MenderInventoryService>().FiltersAsync(Ct));
    }

    [Fact]
    public async Task Wizard_TargetsAFilterBuiltInPlace_OrAListOfDevices()
    {
        await using var data = await ServicesAsync();
        var ids = (await RolloutServiceTests.SeedDevicesAsync(data, 3)).Order(StringComparer.Ordinal).ToList();
        await ReportAsync(data, ids[0], "raspberrypi4");
        await ReportAsync(data, ids[1], "beaglebone");
        await RolloutServiceTests.SeedArtifactAsync(data, "target-app", "demo-device");

        var cut = RenderWithProviders<RolloutWizardPage>();
        cut.WaitForElement("[data-testid=rollout-wizard]", Patience);
        await TypeAsync(cut, "field-name", "targets");
        await cut.ClickAsync("[data-testid=wizard-next]");
        cut.WaitForElement("[data-testid=field-target-kind]", Patience);

        await cut.InvokeAsync(() => cut.FindComponent<MudRadioGroup<string>>().Instance.ValueChanged.InvokeAsync("filter"));
        await cut.ClickAsync("[data-testid=build-filter]");
        await ChooseAsync(cut, "term-attribute", "inventory/board");
        await TypeAsync(cut, "term-value", "beaglebone");
        await TypeAsync(cut, "filter-name", "beagles");
        cut.WaitForAssertion(() => Assert.Equal("1 accepted device matches", cut.Find("[data-testid=filter-preview-count]").TextContent), Patience);
        await cut.ClickAsync("[data-testid=filter-save]");

        // The new filter is the target at once: the builder closes and the count is the filter's.
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=filter-builder]")), Patience);
        var filter = Assert.Single(await data.Get<MenderInventoryService>().FiltersAsync(Ct));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("1 device matches, 1 of them with a compatible artifact", cut.Find("[data-testid=target-count]").TextContent);
        }, Patience);

        await cut.InvokeAsync(() => cut.FindComponent<MudRadioGroup<string>>().Instance.ValueChanged.InvokeAsync("devices"));
        var devices = cut.FindComponents<MudSelect<string>>().Single(s => (string?)s.Instance.UserAttributes["data-testid"] == "field-devices");
        await cut.InvokeAsync(() => devices.Instance.SelectedValuesChanged.InvokeAsync([ids[0], ids[2]]));
        cut.WaitForAssertion(() => Assert.Contains("2 devices match, 2 of them with a compatible artifact", cut.Find("[data-testid=target-count]").TextContent), Patience);
    }
}
