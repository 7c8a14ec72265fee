using Bunit;
using Dashboard.App.Components.Pages.Freezes;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Microsoft.Extensions.DependencyInjection;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Freezes;

/// <summary>The settings page's form and the notice the wizards show, on a real SQLite file.</summary>
public sealed class FreezeComponentsTests : MudBunitContext
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<DataServices> ServicesAsync()
    {
        var data = await Canaries.CanaryTestData.SeededAsync();
        Services.AddSingleton(data.Get<FreezeService>());
        Services.AddSingleton(data.Get<FleetService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        return data;
    }

    [Fact]
    public async Task Page_SavesTheDefaultWeekendFreeze_AndListsItInEffect()
    {
        await using var data = await ServicesAsync();
        AddAuthorization().SetAuthorized("admin").SetRoles(Roles.Admin);
        var cut = RenderWithProviders<FreezesPage>();

        await cut.InputAsync("input[data-testid=freeze-name]", "Weekend");
        await cut.InputAsync("input[data-testid=freeze-components]", "billing, web");
        await cut.ClickAsync("[data-testid=freeze-create]");

        var stored = Assert.Single(await data.Get<FreezeService>().ListAsync(Ct)).Freeze;
        Assert.Equal(("weekly", "Europe/Berlin", DayOfWeek.Friday, DayOfWeek.Monday, "admin"), (stored.Kind, stored.TimeZone, stored.StartDay, stored.EndDay, stored.CreatedBy));
        Assert.Equal(["billing", "web"], stored.Components);
        var row = cut.WaitForElement("[data-testid=freeze-row]");
        Assert.Contains("Every Fri 16:00 – Mon 08:00 Europe/Berlin", row.TextContent, StringComparison.Ordinal);
        // The fake clock's Sunday noon is inside the weekend.
        Assert.Contains("in effect until 2026-11-23 08:00 Europe/Berlin (07:00 UTC)", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_SavesAOneOffFreezeInATimeZone_AsUtcInstants_AndShowsItInThatZone()
    {
        await using var data = await ServicesAsync();
        AddAuthorization().SetAuthorized("admin").SetRoles(Roles.Admin);
        var cut = RenderWithProviders<FreezesPage>();

        await cut.InputAsync("input[data-testid=freeze-name]", "Holidays");
        await cut.ClickAsync("input[data-testid=freeze-kind-once]");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("input[data-testid=freeze-starts-at]")));
        await cut.InputAsync("input[data-testid=freeze-timezone]", "Europe/Berlin");
        await cut.InputAsync("input[data-testid=freeze-starts-at]", "2026-12-24T18:00");
        await cut.InputAsync("input[data-testid=freeze-ends-at]", "2026-12-27T08:00");
        Assert.Contains("Start (Europe/Berlin)", cut.Markup, StringComparison.Ordinal);
        await cut.ClickAsync("[data-testid=freeze-create]");

        var stored = Assert.Single(await data.Get<FreezeService>().ListAsync(Ct)).Freeze;
        // Berlin is UTC+1 in December.
        Assert.Equal(("once", new DateTime(2026, 12, 24, 17, 0, 0), new DateTime(2026, 12, 27, 7, 0, 0), "Europe/Berlin"),
            (stored.Kind, stored.StartsAt, stored.EndsAt, stored.TimeZone));
        var row = cut.WaitForElement("[data-testid=freeze-row]");
        Assert.Contains("2026-12-24 18:00 – 2026-12-27 08:00 Europe/Berlin", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_ReadsAOneOffWindowInItsZone_AcrossDst_AndRefusesAnOffsetBesideAZone()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        FreezeRequest Once(string starts, string ends, string? zone) => new()
        {
            Name = "x", Kind = FreezeKinds.Once, TimeZone = zone,
            StartsAt = DateTimeOffset.Parse(starts, System.Globalization.CultureInfo.InvariantCulture),
            EndsAt = DateTimeOffset.Parse(ends, System.Globalization.CultureInfo.InvariantCulture),
        };

        var summer = FreezeValidator.Validate(Once("2026-07-01T12:00Z", "2026-07-01T14:00Z", "Europe/Berlin"), now);
        var utc = FreezeValidator.Validate(Once("2026-07-01T12:00+02:00", "2026-07-01T14:00+02:00", null), now);
        var offset = Assert.Throws<Dashboard.Data.ValidationException>(() => FreezeValidator.Validate(Once("2026-07-01T12:00+02:00", "2026-07-01T14:00+02:00", "Europe/Berlin"), now));
        var unknown = Assert.Throws<Dashboard.Data.ValidationException>(() => FreezeValidator.Validate(Once("2026-07-01T12:00Z", "2026-07-01T14:00Z", "Mars/Olympus"), now));

        Assert.Equal((new DateTime(2026, 7, 1, 10, 0, 0), new DateTime(2026, 7, 1, 12, 0, 0)), (summer.StartsAt, summer.EndsAt));
        Assert.Equal((new DateTime(2026, 7, 1, 10, 0, 0), (string?)null), (utc.StartsAt, utc.TimeZone));
        Assert.Equal("startsAt", offset.Field);
        Assert.Equal("timeZone", unknown.Field);
    }

    [Fact]
    public async Task Page_ShowsTheServicesMessageByTheTimeZone_AndStoresNothing()
    {
        await using var data = await ServicesAsync();
        AddAuthorization().SetAuthorized("admin").SetRoles(Roles.Admin);
        var cut = RenderWithProviders<FreezesPage>();

        await cut.InputAsync("input[data-testid=freeze-name]", "Typo");
        await cut.InputAsync("input[data-testid=freeze-timezone]", "Europe/Berlni");
        await cut.ClickAsync("[data-testid=freeze-create]");

        cut.WaitForAssertion(() => Assert.Contains("Unknown time zone 'Europe/Berlni'; use an IANA id such as Europe/Berlin or UTC.", cut.Find(".mud-input-helper-text.mud-input-error, .mud-input-error").TextContent, StringComparison.Ordinal));
        Assert.Empty(await data.Get<FreezeService>().ListAsync(Ct));
    }

    [Fact]
    public async Task Notice_OffersAnAdministratorTheOverride_AndHandsOverTheReason()
    {
        await using var data = await ServicesAsync();
        await data.Get<FreezeService>().CreateAsync(new FreezeRequest
        {
            Name = "Code yellow", Kind = "once", StartsAt = data.Clock.GetUtcNow().AddHours(-1), EndsAt = data.Clock.GetUtcNow().AddHours(2),
        }, "admin", Ct);
        AddAuthorization().SetAuthorized("alice").SetRoles(Roles.Admin);
        FreezeOverrideRequest? handed = null;
        var cut = RenderWithProviders<FreezeNotice>(p => p
            .Add(n => n.Target, BatchService.FreezeTarget("default"))
            .Add(n => n.OverrideChanged, (FreezeOverrideRequest? o) => handed = o));

        Assert.Contains("Frozen by Code yellow until 2026-11-22 14:00 UTC", cut.Find("[data-testid=freeze-notice-active]").TextContent, StringComparison.Ordinal);
        await cut.ChangeAsync("input[data-testid=freeze-override], [data-testid=freeze-override] input", true);
        cut.WaitForElement("textarea[data-testid=freeze-override-reason], input[data-testid=freeze-override-reason]");
        // Awaited: the assertion below reads what the field's handler hands over, not whatever it got to so far.
        await cut.InputAsync("textarea[data-testid=freeze-override-reason], input[data-testid=freeze-override-reason]", "payments are down");

        Assert.Equal(new FreezeOverrideRequest("payments are down", "alice", IsAdmin: true), handed);
    }

    [Fact]
    public async Task Notice_TellsAnOperatorOnlyAnAdministratorCanOverride_AndWarnsOfAnUpcomingFreeze()
    {
        await using var data = await ServicesAsync();
        var now = data.Clock.GetUtcNow();
        await data.Get<FreezeService>().CreateAsync(new FreezeRequest { Name = "Now", Kind = "once", StartsAt = now, EndsAt = now.AddHours(1), Projects = ["default"] }, "admin", Ct);
        await data.Get<FreezeService>().CreateAsync(new FreezeRequest { Name = "Later", Kind = "once", StartsAt = now.AddDays(1), EndsAt = now.AddDays(2), Projects = ["edge"] }, "admin", Ct);
        AddAuthorization().SetAuthorized("bob");

        var frozen = RenderWithProviders<FreezeNotice>(p => p.Add(n => n.Target, BatchService.FreezeTarget("default")));
        Assert.Contains("Only an administrator can override it.", frozen.Markup, StringComparison.Ordinal);
        Assert.Empty(frozen.FindAll("[data-testid=freeze-override]"));

        var upcoming = Render<FreezeNotice>(p => p.Add(n => n.Target, BatchService.FreezeTarget("edge")));
        Assert.Contains("Upcoming freeze: Later from 2026-11-23 12:00 UTC", upcoming.Find("[data-testid=freeze-notice-upcoming]").TextContent, StringComparison.Ordinal);
    }
}
