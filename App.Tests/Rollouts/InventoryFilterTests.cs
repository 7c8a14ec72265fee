using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Rollouts;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>The filter builder's rules on a real SQLite file: known attributes, text to terms, validation, preview.</summary>
public sealed class InventoryFilterTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DataServices _services = default!;

    private MenderInventoryService Inventory => _services.Get<MenderInventoryService>();

    public async ValueTask InitializeAsync() => _services = await DataServices.MigratedAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private async Task ReportAsync(string deviceId, params (string Name, object Value)[] attributes) =>
        await Inventory.UpdateDeviceAttributesAsync(deviceId, [.. attributes.Select(a => (a.Name, JsonSerializer.SerializeToElement(a.Value)))], replace: false, Ct);

    [Theory]
    [InlineData("$eq", "raspberrypi4", "\"raspberrypi4\"")]
    [InlineData("$eq", "42", "42")]
    [InlineData("$eq", "\"42\"", "\"42\"")]
    [InlineData("$in", "a, b ,3", "[\"a\",\"b\",3]")]
    [InlineData("$exists", "", "true")]
    [InlineData("$exists", "false", "false")]
    [InlineData("$regex", "rasp.*", "\"rasp.*\"")]
    [InlineData("$gt", "", null)]
    public void TermFromText_TypesTheValueAsMenderDoes(string type, string text, string? json)
    {
        Assert.Equal(json, MenderInventoryService.TermFromText("inventory", "x", type, text).Value);
    }

    [Theory]
    [InlineData("$gt", null, "terms[0].value", "terms[0]: value is required for $gt")]
    [InlineData("$in", "\"a\"", "terms[0].value", "terms[0]: $in needs an array value")]
    [InlineData("$in", "[\"a\",1]", "terms[0].value", "terms[0]: a list cannot mix strings and numbers")]
    [InlineData("$gt", "[1,2]", "terms[0].value", "terms[0]: $gt needs a single value, not an array")]
    [InlineData("$eq", "{\"a\":1}", "terms[0].value", "terms[0]: value must be a string, a number or an array of them")]
    [InlineData("$regex", "\"(unclosed\"", "terms[0].value", "terms[0]: '(unclosed' is not a valid regular expression")]
    [InlineData("$like", "\"a\"", "terms[0].type", "terms[0]: type '$like' is not supported")]
    public void ValidateTerms_NamesTheTermAndTheProblem(string type, string? value, string field, string message)
    {
        var ex = Assert.Throws<ValidationException>(() => MenderInventoryService.ValidateTerms([new FilterTerm("inventory", "x", type, value)]));
        Assert.Equal(field, ex.Field);
        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public async Task FilterAttributes_CountsEachReportedAttribute_MostCommonFirst()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 3, group: "lab");
        await ReportAsync(ids[0], ("device_type", "pi"), ("kernel", "6.1"));
        await ReportAsync(ids[1], ("device_type", "pi"));
        await ReportAsync(ids[2], ("device_type", "x86"));

        var attributes = await Inventory.FilterAttributesAsync(Ct);
        Assert.Equal(
            [new FilterAttribute("inventory", "device_type", 3), new FilterAttribute("system", "group", 3), new FilterAttribute("inventory", "kernel", 1)],
            attributes.Where(a => a.Name is "device_type" or "group" or "kernel"));
    }

    [Fact]
    public async Task PreviewFilter_CountsAcceptedMatches_AndListsTheFirstOnes()
    {
        var ids = (await RolloutServiceTests.SeedDevicesAsync(_services, 4)).Order(StringComparer.Ordinal).ToList();
        await ReportAsync(ids[0], ("board", "raspberrypi4"), ("mem_mb", 4096));
        await ReportAsync(ids[1], ("board", "raspberrypi3"), ("mem_mb", 1024));
        await ReportAsync(ids[2], ("board", "beaglebone"), ("mem_mb", 512));
        await ReportAsync(ids[3], ("board", "RaspberryPi5"), ("mem_mb", 8192));

        var regex = await Inventory.PreviewFilterAsync([MenderInventoryService.TermFromText("inventory", "board", "$regex", "raspberry")], 2, Ct);
        Assert.Equal(2, regex.Count);
        Assert.Equal([ids[0], ids[1]], regex.First.Select(d => d.Id));

        // Anchored at the start, with /flags/ as Mender takes them.
        var ignoringCase = await Inventory.PreviewFilterAsync([MenderInventoryService.TermFromText("inventory", "board", "$regex", "/raspberry/i")], 5, Ct);
        Assert.Equal(3, ignoringCase.Count);
        Assert.Equal(0, (await Inventory.PreviewFilterAsync([MenderInventoryService.TermFromText("inventory", "board", "$regex", "pi")], 5, Ct)).Count);

        var numeric = await Inventory.PreviewFilterAsync(
            [MenderInventoryService.TermFromText("inventory", "mem_mb", "$gte", "1024"), MenderInventoryService.TermFromText("inventory", "board", "$nin", "RaspberryPi5")], 5, Ct);
        Assert.Equal([ids[0], ids[1]], numeric.First.Select(d => d.Id));
    }

    [Fact]
    public async Task CreateFilter_WithARegexTerm_IsSavedAndMatchesLikeThePreview()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 2);
        await ReportAsync(ids[0], ("board", "raspberrypi4"));
        var filter = await Inventory.CreateFilterAsync("pis", [MenderInventoryService.TermFromText("inventory", "board", "$regex", "rasp")], Ct);
        Assert.Equal([ids[0]], (await Inventory.MatchAsync((await Inventory.GetFilterAsync(filter.Id, Ct)).Terms, Ct)).Select(d => d.Id));
        Assert.Equal(1, (await Inventory.FiltersWithCountsAsync(Ct)).Single(f => f.Filter.Id == filter.Id).Matching);
    }
}
