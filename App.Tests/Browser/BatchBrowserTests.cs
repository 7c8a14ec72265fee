using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Api;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class BatchBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task Wizard_CreatesABatch_ThatCompletesLiveOnTheDetailPage()
    {
        // The shared app's nrt1 holds 20 of the wizard's default plan; every run of this test takes 4, and any
        // other test may place there too. Room for this batch is made here, not assumed.
        await EnsureRoomAsync(fixture.App, "nrt1", 4);
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/batches/new");
        var wizard = await new BatchWizardPage(page).OpenAsync();
        var prefix = "pw" + Guid.NewGuid().ToString("N")[..5];
        await wizard.ScreenshotAsync("batch-wizard-1-what-light");

        await wizard.NextAsync();
        await wizard.SetQuantityAsync(4);
        await wizard.SetHostnameAsync(prefix + "-{{indx}}");
        await wizard.NextAsync();
        await Assertions.Expect(wizard.ErrorText("the only placeholder is {{index}}")).ToBeVisibleAsync();
        await wizard.SetHostnameAsync(prefix + "-{{index}}");
        await Assertions.Expect(wizard.HostnamePreview).ToContainTextAsync($"{prefix}-1, {prefix}-2, {prefix}-3, {prefix}-4");
        await wizard.ScreenshotAsync("batch-wizard-2-names-light");
        await wizard.NextAsync();

        await wizard.AddFacilityAsync("nrt1");
        await Assertions.Expect(wizard.PlacementPreview).ToContainTextAsync("4 in nrt1");
        await wizard.ScreenshotAsync("batch-wizard-3-where-light");
        await wizard.NextAsync();

        await Assertions.Expect(wizard.Curl).ToContainTextAsync($"\"hostname\": \"{prefix}-{{{{index}}}}\"");
        await Assertions.Expect(wizard.Curl).ToContainTextAsync("/devices/batch");
        await wizard.ScreenshotAsync("batch-wizard-4-review-light");
        var detail = await wizard.SubmitAndOpenDetailAsync(() => ServerSideAsync(fixture.App, prefix));
        await detail.WaitUntilInteractiveAsync();
        await Assertions.Expect(detail.State).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 15_000 });
        await Assertions.Expect(detail.Devices).ToHaveCountAsync(4);
        await Assertions.Expect(detail.Devices.First).ToHaveTextAsync($"{prefix}-1");
        Assert.Equal(4, await page.Locator("[data-testid=device-state][data-state=active]").CountAsync());
        await detail.ScreenshotAsync("batch-detail-light");
        var url = page.Url;
        await page.Context.CloseAsync();

        var dark = await LoginPage.SignedInAsync(browser, fixture.App, new Uri(url).PathAndQuery, ColorScheme.Dark);
        await dark.Locator(".mud-layout[data-theme-ready][data-theme=dark]").WaitForAsync();
        await Assertions.Expect(new BatchDetailPage(dark).Devices).ToHaveCountAsync(4);
        await new BatchDetailPage(dark).ScreenshotAsync("batch-detail-dark");
        await dark.Context.CloseAsync();
    }

    /// <summary>
    /// Raises <paramref name="facility"/>'s total of the wizard's default plan (the cheapest) so that at least
    /// <paramref name="quantity"/> are available, as an administrator would on the Fleet page.
    /// </summary>
    private static async Task EnsureRoomAsync(DashboardApp app, string facility, int quantity)
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = (await app.Service<FleetService>().SummaryAsync(ct)).Plans[0].Slug;
        var capacity = app.Service<FleetCapacityService>();
        var line = (await capacity.LinesAsync(ct)).Single(l => l.Facility == facility && l.Plan == plan);
        if (line.Available < quantity)
            await capacity.SetTotalAsync(facility, plan, line.Used + quantity, line.SpotPrice, hourlyPrice: null, "test", ct);
    }

    /// <summary>For a failure message: the batches whose hostnames start with <paramref name="prefix"/>, and the app's last errors.</summary>
    internal static async Task<string> ServerSideAsync(DashboardApp app, string prefix)
    {
        var batches = (await app.Service<BatchService>().ListAsync(take: 2_000))
            .Where(b => b.Hostnames.Any(h => h.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(b => $"{b.Id} {b.State} created {b.CreatedAt:HH:mm:ss.fff}")
            .ToList();
        var errors = app.Logs.Entries.TakeLast(5).Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name}").ToList();
        return $"batches named {prefix}-*: {(batches.Count == 0 ? "none" : string.Join("; ", batches))}; " +
            $"last app errors: {(errors.Count == 0 ? "none" : string.Join(" | ", errors))}";
    }

    [Fact]
    public async Task DetailPage_SaysWhyABatchFailed_NamingEachFacilitysAvailability()
    {
        using var client = fixture.App.ApiClient("X-Auth-Token");
        var response = await client.PostAsync($"/projects/{Api.PacketApiTests.DemoProject}/devices/batch", new StringContent(
            $$$"""{"batches":[{"hostname":"big{{{Guid.NewGuid():N}}}-{{index}}","plan":"m1.xlarge.x86","operating_system":"debian_12","facility":["sjc1","ewr1"],"facility_diversity_level":1,"quantity":9}]}""",
            System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        var id = System.Text.Json.JsonDocument.Parse(body)
            .RootElement.GetProperty("batches")[0].GetProperty("id").GetString();

        var page = await LoginPage.SignedInAsync(browser, fixture.App, $"/batches/{id}/detail");
        var detail = new BatchDetailPage(page);
        await Assertions.Expect(detail.State).ToHaveAttributeAsync("data-state", "failed");
        await Assertions.Expect(page.Locator("[data-testid=batch-error]")).ToContainTextAsync("Cannot place 9 devices in at most 1 facility: sjc1 has");
        await detail.ScreenshotAsync("batch-detail-failed-light");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/batches", "batches")]
    [InlineData("/batches/new", "batch-wizard")]
    public Task BatchPages_RenderInLightAndDarkTheme(string path, string name)
        => Themes.ScreenshotBothAsync(browser, fixture.App, path, name);

    [Fact]
    public async Task Fleet_LetsAnAdministratorEditTheTotal_AndShowsTotalUsedAndAvailable()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/fleet");
        var cell = page.Locator("[data-testid='capacity-ewr1-c2.medium.x86']");
        // The demo fleet has 21 c2.medium.x86 in ewr1, one of them held by a demo device.
        await Assertions.Expect(cell).ToHaveAttributeAsync("data-total", "21");
        await Assertions.Expect(cell).ToHaveAttributeAsync("data-used", "1");
        await page.ClickAsync("[data-testid=edit-capacity-ams1]");
        await Assertions.Expect(page.Locator("[data-testid='edit-used-c2.medium.x86']")).ToContainTextAsync("1");
        await page.Locator("input[data-testid='edit-total-c1.small.x86'], [data-testid='edit-total-c1.small.x86'] input").First.FillAsync("21");
        await new LoginPage(page).ScreenshotAsync("fleet-capacity-edit-light");
        await page.ClickAsync("[data-testid=capacity-save]");

        await Assertions.Expect(page.Locator("[data-testid=capacity-dialog]")).ToHaveCountAsync(0);
        var edited = page.Locator("[data-testid='capacity-ams1-c1.small.x86']");
        await Assertions.Expect(edited).ToHaveAttributeAsync("data-total", "21");
        var used = int.Parse((await edited.GetAttributeAsync("data-used"))!, System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(edited).ToHaveAttributeAsync("data-available", Math.Max(0, 21 - used).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await new LoginPage(page).ScreenshotAsync("fleet-capacity-light");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task HangfireDashboard_NamesBatchJobsForWhatTheyDo()
    {
        using var client = fixture.App.ApiClient("X-Auth-Token");
        var response = await client.PostAsync($"/projects/{PacketApiTests.DemoProject}/devices/batch", new StringContent(
            $$"""{"batches":[{"hostname":"hf{{Guid.NewGuid():N}}-{{"{{index}}"}}","plan":"c1.small.x86","operating_system":"debian_12","facility":"any","quantity":2}]}""",
            Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("batches")[0].GetProperty("id").GetString()!;
        await fixture.App.WaitForFinishedBatchAsync(id);

        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/hangfire/jobs/succeeded");

        await Assertions.Expect(page.GetByText($"Provision batch {id[..8]}: 2 c1.small.x86 devices")).ToBeVisibleAsync();
        await new LoginPage(page).ScreenshotAsync("hangfire-succeeded-light");
        await page.Context.CloseAsync();
    }
}
