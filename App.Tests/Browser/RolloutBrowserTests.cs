using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

public sealed class RolloutWizardPage(IPage page) : BasePage(page)
{
    public ILocator Field(string testId) => Page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    public Task NextAsync() => Page.ClickAsync("[data-testid=wizard-next]");

    public Task SubmitAsync() => Page.ClickAsync("[data-testid=wizard-submit]");

    /// <summary>Creates the rollout on the review step and waits for its page (failing with what the wizard shows instead).</summary>
    public async Task SubmitAndOpenRolloutAsync()
    {
        await SubmitAsync();
        await WaitForUrlAfterAsync("Create rollout", url => url.Contains("/rollouts/", StringComparison.Ordinal) && !url.EndsWith("/new", StringComparison.Ordinal));
    }

    public async Task ChooseAsync(string selectTestId, string option)
    {
        await Page.Locator($"[data-testid={selectTestId}]").First.ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = option }).First.ClickAsync();
    }

    public ILocator TargetCount => Page.Locator("[data-testid=target-count]");
    public ILocator PhaseError => Page.Locator("[data-testid=phase-error]");
    public ILocator PhasePreviews => Page.Locator("[data-testid=phase-preview]");
    public ILocator ApiRequest => Page.Locator("[data-testid=api-request]");
}

public sealed class FiltersPage(IPage page) : BasePage(page)
{
    public ILocator Value => Page.Locator("input[data-testid=term-value], [data-testid=term-value] input").First;
    public ILocator Name => Page.Locator("input[data-testid=filter-name], [data-testid=filter-name] input").First;
    public ILocator PreviewCount => Page.Locator("[data-testid=filter-preview-count]");
    public ILocator PreviewDevices => Page.Locator("[data-testid=filter-preview-device]");
    public ILocator Saved(string name) => Page.Locator("[data-testid=saved-filter]", new() { HasText = name });

    public async Task ChooseAsync(string selectTestId, string option)
    {
        await Page.Locator($"[data-testid={selectTestId}]").First.ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = option }).First.ClickAsync();
    }

    public Task SaveAsync() => Page.ClickAsync("[data-testid=filter-save]");
}

public sealed class RolloutDetailPage(IPage page) : BasePage(page)
{
    public ILocator State => Page.Locator("[data-testid=rollout-state]");
    public ILocator Counter(string status) => Page.Locator($"[data-testid=counter-{status}] [data-testid=counter-value]");
    public ILocator Phases => Page.Locator("[data-testid=phase]");
}

[Collection(AppCollection.Name)]
public sealed class RolloutBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Wizard_CreatesAPhasedRollout_WhoseProgressIsLive()
    {
        // Four admitted devices of a fresh type in a fresh group, and an artifact for them.
        var type = "pw-" + Guid.NewGuid().ToString("N")[..6];
        var group = "pw" + Guid.NewGuid().ToString("N")[..8];
        var artifact = "pw-app-" + Guid.NewGuid().ToString("N")[..6];
        using var management = fixture.App.ApiClient();
        var (devices, ids) = await MenderDeviceApiTests.FleetWithArtifactAsync(fixture.App, 4, type, artifact);
        using (await management.PatchAsJsonAsync($"/api/management/v1/inventory/groups/{group}/devices", ids, Ct)) { }

        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts/new");
        var wizard = new RolloutWizardPage(page);
        await wizard.WaitUntilInteractiveAsync();
        await wizard.Field("field-name").FillAsync("browser " + artifact);
        await wizard.ChooseAsync("field-artifact", artifact);
        await wizard.ScreenshotAsync("rollout-wizard-1-artifact-light");
        await wizard.NextAsync();

        await page.GetByText("A static group").ClickAsync();
        await wizard.ChooseAsync("field-group", group);
        await Assertions.Expect(wizard.TargetCount).ToContainTextAsync("4 devices match, 4 of them with a compatible artifact");
        await wizard.ScreenshotAsync("rollout-wizard-2-target-light");
        await wizard.NextAsync();

        // The default 10 % of 4 devices rounds down to none: the API's own message, before submitting.
        await Assertions.Expect(wizard.PhaseError).ToHaveTextAsync("phase 1: 10 % of 4 devices rounds down to 0 devices; choose a larger batch_size");
        await wizard.NextAsync();
        await Assertions.Expect(wizard.PhaseError).ToBeVisibleAsync();
        await wizard.Field("field-percent").FillAsync("50");
        await Assertions.Expect(wizard.PhasePreviews.First).ToHaveTextAsync("50 % of 4 = 2 → 2 devices");
        await Assertions.Expect(wizard.PhasePreviews.Nth(1)).ToHaveTextAsync("the rest → 2 devices");
        await wizard.ScreenshotAsync("rollout-wizard-3-phases-light");
        await wizard.NextAsync();

        await wizard.Field("field-threshold").FillAsync("40");
        await wizard.NextAsync();
        await Assertions.Expect(wizard.ApiRequest).ToContainTextAsync($"/api/management/v1/deployments/deployments/group/{group}");
        await Assertions.Expect(wizard.ApiRequest).ToContainTextAsync("\"failure_threshold\": 40");
        await wizard.ScreenshotAsync("rollout-wizard-4-review-light");
        await wizard.SubmitAndOpenRolloutAsync();
        var detail = new RolloutDetailPage(page);
        await detail.WaitUntilInteractiveAsync();
        await Assertions.Expect(detail.State).ToHaveAttributeAsync("data-state", "inprogress");
        await Assertions.Expect(detail.Counter("pending")).ToHaveTextAsync("4");
        await Assertions.Expect(detail.Phases.First).ToHaveAttributeAsync("data-started", "true");
        await Assertions.Expect(detail.Phases.Nth(1)).ToHaveAttributeAsync("data-started", "false");

        // The devices of the started phase install it; the page follows without a reload.
        var rolloutId = new Uri(page.Url).Segments[^1];
        var installed = 0;
        foreach (var device in devices)
        {
            using var next = await device.NextAsync(type, "release-0", Ct);
            if (next.StatusCode != System.Net.HttpStatusCode.OK) continue;
            foreach (var status in new[] { "downloading", "installing", "success" })
                using (await device.StatusAsync(rolloutId, status, Ct)) { }
            installed++;
        }
        Assert.Equal(2, installed);
        await Assertions.Expect(detail.Counter("success")).ToHaveTextAsync("2");
        await Assertions.Expect(detail.Counter("pending")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-testid=rollout-progress]")).ToHaveTextAsync("2 / 4 finished");
        await detail.ScreenshotAsync("rollout-detail-light");
        var url = new Uri(page.Url).PathAndQuery;
        await page.Context.CloseAsync();

        var dark = await LoginPage.SignedInAsync(browser, fixture.App, url, ColorScheme.Dark);
        await dark.Locator(".mud-layout[data-theme-ready][data-theme=dark]").WaitForAsync();
        await Assertions.Expect(new RolloutDetailPage(dark).Counter("success")).ToHaveTextAsync("2");
        await new RolloutDetailPage(dark).ScreenshotAsync("rollout-detail-dark");
        await dark.Context.CloseAsync();
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task FilterBuilder_SavesAFilterWithALivePreview_AndARolloutTargetsIt()
    {
        var type = "pwf-" + Guid.NewGuid().ToString("N")[..6];
        var artifact = "pwf-app-" + Guid.NewGuid().ToString("N")[..6];
        var (devices, _) = await MenderDeviceApiTests.FleetWithArtifactAsync(fixture.App, 4, type, artifact);

        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts/filters");
        var filters = new FiltersPage(page);
        await filters.WaitUntilInteractiveAsync();
        await filters.ChooseAsync("term-attribute", "device_type · inventory");
        await filters.ChooseAsync("term-operator", "is one of ($in)");
        await filters.Value.FillAsync($"{type}, {type}-other");
        await Assertions.Expect(filters.PreviewCount).ToHaveTextAsync("4 accepted devices match");
        await Assertions.Expect(filters.PreviewDevices).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("[data-testid=filter-request]")).ToContainTextAsync($"\"{type}-other\"");

        await filters.SaveAsync();
        await Assertions.Expect(page.Locator("[data-testid=filter-builder]")).ToContainTextAsync("name: cannot be blank");
        var name = "pw filter " + type;
        await filters.Name.FillAsync(name);
        await Assertions.Expect(filters.PreviewCount).ToHaveTextAsync("4 accepted devices match");
        await filters.ScreenshotAsync("rollout-filters-builder-light");
        await filters.SaveAsync();
        await Assertions.Expect(filters.Saved(name).Locator("[data-testid=saved-filter-count]")).ToHaveTextAsync("4");
        await page.Context.CloseAsync();

        var dark = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts/filters", ColorScheme.Dark);
        await dark.Locator(".mud-layout[data-theme-ready][data-theme=dark]").WaitForAsync();
        var darkFilters = new FiltersPage(dark);
        await darkFilters.WaitUntilInteractiveAsync();
        await darkFilters.ChooseAsync("term-attribute", "device_type · inventory");
        await darkFilters.Value.FillAsync(type);
        await Assertions.Expect(darkFilters.PreviewCount).ToHaveTextAsync("4 accepted devices match");
        await Assertions.Expect(darkFilters.Saved(name)).ToBeVisibleAsync();
        await darkFilters.ScreenshotAsync("rollout-filters-builder-dark");
        await dark.Context.CloseAsync();

        // The saved filter is a rollout target.
        page = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts/new");
        var wizard = new RolloutWizardPage(page);
        await wizard.WaitUntilInteractiveAsync();
        await wizard.Field("field-name").FillAsync("to " + name);
        await wizard.ChooseAsync("field-artifact", artifact);
        await wizard.NextAsync();
        await page.GetByText("A saved filter").ClickAsync();
        await wizard.ChooseAsync("field-filter", name);
        await Assertions.Expect(wizard.TargetCount).ToContainTextAsync("4 devices match, 4 of them with a compatible artifact");
        await wizard.ScreenshotAsync("rollout-wizard-2-filter-light");
        await wizard.NextAsync();
        await wizard.Field("field-percent").FillAsync("50");
        await Assertions.Expect(wizard.PhasePreviews.First).ToHaveTextAsync("50 % of 4 = 2 → 2 devices");
        await wizard.NextAsync();
        await wizard.NextAsync();
        await Assertions.Expect(wizard.ApiRequest).ToContainTextAsync("/api/management/v2/deployments/deployments");
        await Assertions.Expect(wizard.ApiRequest).ToContainTextAsync("\"filter_id\"");
        await wizard.SubmitAndOpenRolloutAsync();
        var detail = new RolloutDetailPage(page);
        await Assertions.Expect(detail.State).ToHaveAttributeAsync("data-state", "inprogress");
        // The state once, in words.
        await Assertions.Expect(detail.State).ToHaveTextAsync("in progress");
        await Assertions.Expect(page.Locator("[data-testid=rollout-header]")).Not.ToContainTextAsync("inprogress");
        await Assertions.Expect(detail.Counter("pending")).ToHaveTextAsync("4");
        await page.Context.CloseAsync();
        foreach (var device in devices) device.Dispose();
    }

    [Theory]
    [InlineData("/rollouts", "rollouts")]
    [InlineData("/rollouts/filters", "rollout-filters")]
    [InlineData("/rollouts/new", "rollout-wizard")]
    [InlineData("/rollouts/artifacts", "artifacts")]
    [InlineData("/fleet", "fleet-mender")]
    public Task RolloutPages_RenderInLightAndDarkTheme(string path, string name)
        => Themes.ScreenshotBothAsync(browser, fixture.App, path, name);

    [Fact]
    public async Task ArtifactsPage_UploadsADroppedFile_AndRefusesACorruptOne()
    {
        using var work = new TempDirectory();
        var name = "pw-upload-" + Guid.NewGuid().ToString("N")[..6];
        var file = await MenderCommands.SingleFileArtifactAsync(work.Path, name, "pw-upload-type", "/tmp/pw");
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts/artifacts");
        await new LoginPage(page).WaitUntilInteractiveAsync();

        await page.Locator("[data-testid=artifact-input]").SetInputFilesAsync(file);
        // The file crosses the circuit in chunks, then is verified: allow for a loaded machine.
        await Assertions.Expect(page.Locator("[data-testid=artifact-name]", new() { HasText = name })).ToBeVisibleAsync(new() { Timeout = 30_000 });

        var corrupt = Path.Combine(work.Path, "corrupt.mender");
        await File.WriteAllTextAsync(corrupt, "this is not an artifact", Ct);
        await page.Locator("[data-testid=artifact-input]").SetInputFilesAsync(corrupt);
        await Assertions.Expect(page.Locator("[data-testid=upload-error]")).ToContainTextAsync("not a valid Mender artifact", new() { Timeout = 30_000 });
        await new LoginPage(page).ScreenshotAsync("artifacts-upload-error-light");
        await page.Context.CloseAsync();
    }
}
