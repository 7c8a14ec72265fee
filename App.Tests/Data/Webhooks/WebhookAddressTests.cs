using System.Net;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Webhooks;

namespace Dashboard.App.Tests.Data.Webhooks;

/// <summary>
/// The guard against webhooks into the dashboard's own network (SSRF): refused at registration with
/// a clear error on the URL, and refused again at delivery, on the real socket, when a name resolves
/// to such an address by then. The rest of the suite allows private addresses (its receivers are on loopback).
/// </summary>
public sealed class WebhookAddressTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> Guarded = new() { ["Dashboard:Webhooks:AllowPrivateAddresses"] = "false" };

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void IsPrivate_KnowsLoopbackLinkLocalAndPrivateRanges(string address, bool expected) =>
        Assert.Equal(expected, WebhookAddresses.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost:9/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("https://10.0.0.5/hook")]
    [InlineData("http://[::ffff:192.168.0.1]/hook")]
    public async Task Create_RefusesAPrivateAddress_WithAnErrorOnTheUrl_AndStoresNothing(string url)
    {
        await using var data = await DataServices.MigratedAsync(settings: Guarded);

        var error = await Assert.ThrowsAsync<ValidationException>(() => data.Get<WebhookService>().CreateAsync(new WebhookRequest("internal", url), "admin", Ct));

        Assert.Equal("url", error.Field);
        Assert.Contains("AllowPrivateAddresses", error.Message, StringComparison.Ordinal);
        Assert.Empty(await data.Get<WebhookService>().ListAsync(Ct));
    }

    [Fact]
    public async Task Create_AcceptsAPublicAddress_AndAPrivateOneWhenAllowed()
    {
        await using var guarded = await DataServices.MigratedAsync(settings: Guarded);
        await using var allowed = await DataServices.MigratedAsync();

        await guarded.Get<WebhookService>().CreateAsync(new WebhookRequest("public", "https://93.184.216.34/hook"), "admin", Ct);
        await allowed.Get<WebhookService>().CreateAsync(new WebhookRequest("lan", "http://127.0.0.1:9/hook"), "admin", Ct);

        Assert.Single(await guarded.Get<WebhookService>().ListAsync(Ct));
        Assert.Single(await allowed.Get<WebhookService>().ListAsync(Ct));
    }

    [Fact]
    public async Task Send_RefusesToConnectToAPrivateAddress_WhenNotAllowed_AndSendsWhenAllowed()
    {
        using var receiver = new WebhookReceiver().Start();
        using var guarded = new WebhookSender(TimeProvider.System, new WebhookAddresses(new WebhookSettings()));
        using var allowed = new WebhookSender(TimeProvider.System, new WebhookAddresses(new WebhookSettings { AllowPrivateAddresses = true }));

        // A name that resolves to loopback now (as a public name could after registration), and a literal.
        var byName = await guarded.SendAsync($"http://localhost:{receiver.Port}/hook", "0123456789abcdef", Guid.NewGuid(), "test", "{}", Ct);
        var byAddress = await guarded.SendAsync(receiver.Url, "0123456789abcdef", Guid.NewGuid(), "test", "{}", Ct);
        var sent = await allowed.SendAsync(receiver.Url, "0123456789abcdef", Guid.NewGuid(), "test", "{}", Ct);

        foreach (var refused in new[] { byName, byAddress })
        {
            Assert.False(refused.Succeeded);
            Assert.Null(refused.StatusCode);
            Assert.Contains("private address", refused.Error, StringComparison.Ordinal);
        }
        Assert.True(sent.Succeeded);
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(10));
        Assert.Single(receiver.All);
    }
}
