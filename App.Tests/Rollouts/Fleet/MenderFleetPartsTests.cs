using Dashboard.Data.Rollouts.Devices;
using Dashboard.MenderFleet;

namespace Dashboard.App.Tests.Rollouts.Fleet;

/// <summary>The fleet simulator's own parts: its devices must sign exactly what our server verifies, and its figures must be right.</summary>
public sealed class MenderFleetPartsTests
{
    [Theory]
    [InlineData("ecdsa", "ECDSA P-256")]
    [InlineData("ed25519", "Ed25519")]
    [InlineData("rsa", "RSA 2048")]
    public void DeviceKey_SignsAuthRequestsTheServerVerifies(string kind, string description)
    {
        using var key = DeviceKey.Create(kind, 1);
        var body = DeviceApi.AuthRequestBody("""{"mac":"02:00:00:00:00:01","sn":"t-00001"}""", key.PublicKeyPem);

        var signature = Convert.ToBase64String(key.Sign(body));

        Assert.True(DeviceSignatures.Verify(key.PublicKeyPem, body, signature));
        Assert.Equal(description, DeviceSignatures.Describe(key.PublicKeyPem));
        // The simulator sends the key in the canonical form, as Go's pem package writes it.
        Assert.Equal(DeviceSignatures.Normalize(key.PublicKeyPem), key.PublicKeyPem);
        Assert.EndsWith("}\n", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public void AuthRequestBody_IsWhatTheGoClientWrites()
    {
        var body = System.Text.Encoding.UTF8.GetString(DeviceApi.AuthRequestBody("""{"mac":"02:00:00:00:00:01"}""", "-----BEGIN PUBLIC KEY-----\nAB+/\n-----END PUBLIC KEY-----\n"));

        Assert.Equal("{\"id_data\":\"{\\\"mac\\\":\\\"02:00:00:00:00:01\\\"}\",\"tenant_token\":\"\",\"pubkey\":\"-----BEGIN PUBLIC KEY-----\\nAB+/\\n-----END PUBLIC KEY-----\\n\"}\n", body);
    }

    [Fact]
    public void CallStats_PercentilesAreWithinTwoPercent()
    {
        var calls = new CallStats("status");
        for (var ms = 1; ms <= 1000; ms++) calls.Record(TimeSpan.FromMilliseconds(ms), 204, expected: true);
        calls.Record(TimeSpan.FromMilliseconds(5), 500, expected: false);

        Assert.Equal(1001, calls.Count);
        Assert.Equal(1, calls.Errors);
        Assert.InRange(calls.Percentile(0.50), 500 * 0.98, 500 * 1.02);
        Assert.InRange(calls.Percentile(0.99), 990 * 0.98, 990 * 1.02);
        Assert.Equal(1000, calls.Max, 3);
        Assert.Equal("204:1000 500:1", calls.Codes);
    }

    [Theory]
    [InlineData("--server", "http://10.1.2.3:5000")]
    [InlineData("--server", "http://example.com")]
    public void Parse_RefusesAServerOffLoopback(string option, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => FleetOptions.Parse([option, value]));

        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsTheOptions()
    {
        var options = FleetOptions.Parse(["--server", "http://127.0.0.1:5099", "--devices", "2500", "--rate", "1500.5", "--failure-rate", "0.1",
            "--accept", "--admin-token", "t", "--key", "mixed", "--poll", "0.5", "--no-chunked"]);

        Assert.Equal(new Uri("http://127.0.0.1:5099/"), options.Server);
        Assert.Equal(2500, options.Devices);
        Assert.Equal(1500.5, options.Rate);
        Assert.Equal(0.1, options.FailureRate);
        Assert.True(options.Accept);
        Assert.Equal("mixed", options.KeyKind);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.PollInterval);
        Assert.False(options.Chunked);
    }
}
