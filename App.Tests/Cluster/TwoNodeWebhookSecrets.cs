using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Webhooks;

namespace Dashboard.App.Tests.Cluster;

/// <summary>Webhook secrets across nodes: one key ring in the shared data directory (docs/decisions/0021).</summary>
public sealed partial class TwoNodeTests
{
    [Fact]
    public async Task WebhookSecret_EncryptedByOneNode_IsReadByTheOther_AndSignsDeliveriesWhicheverNodeSends()
    {
        if (nodes.Unavailable is { } why) Assert.Skip(why);
        using var receiver = new WebhookReceiver().Start();
        var name = $"nodes-{Guid.NewGuid():N}"[..18];
        using var a = nodes.A.ApiClient();
        using var b = nodes.B.ApiClient();

        var created = await a.PostAsJsonAsync("/api/webhooks", new { name, url = receiver.Url, secret = "two-node-secret-0123456789", components = new[] { name } }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        Assert.True(nodes.B.Service<WebhookSecrets>().TryDecrypt((await nodes.B.Service<WebhookService>().GetAsync(id, Ct)).Secret, out var readByB));
        Assert.Equal("two-node-secret-0123456789", readByB);

        var rotated = await b.PostAsync($"/api/webhooks/{id}/secret", null, Ct);
        var secret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secret").GetString()!;
        Assert.True(nodes.A.Service<WebhookSecrets>().TryDecrypt((await nodes.A.Service<WebhookService>().GetAsync(id, Ct)).Secret, out var readByA));
        Assert.Equal(secret, readByA);

        // Queued through each node; either node's job server may send either one.
        (await a.PostAsync($"/api/webhooks/{id}/test", null, Ct)).EnsureSuccessStatusCode();
        (await b.PostAsync($"/api/webhooks/{id}/test", null, Ct)).EnsureSuccessStatusCode();
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        Assert.All(receiver.All, r => Assert.Equal(WebhookSender.Sign(secret, Encoding.UTF8.GetBytes(r.Body)), r.Signature));

        await nodes.A.Service<WebhookService>().DeleteAsync(id, Ct);
    }
}
