using System.Buffers.Text;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Rollouts.Devices;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Rollouts.Devices;

public sealed class DeviceTokenServiceTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    private DeviceTokenService Service(string? directory = null) =>
        new(new DashboardSettings { DataDirectory = directory ?? _directory.Path }, _clock);

    [Fact]
    public void TryValidate_ReturnsTheDevice_ForAnIssuedToken()
    {
        var tokens = Service();

        var token = tokens.Issue("device-42", _clock.GetUtcNow().UtcDateTime.AddDays(7));

        Assert.True(tokens.TryValidate(token, out var deviceId));
        Assert.Equal("device-42", deviceId);
        // The Mender client puts the token into a header verbatim: no whitespace, no newline.
        Assert.DoesNotContain(token, char.IsWhiteSpace);
        Assert.Equal(3, token.Split('.').Length);
    }

    [Fact]
    public void TryValidate_ReturnsFalse_OnceTheTokenHasExpired()
    {
        var tokens = Service();
        var token = tokens.Issue("device-1", _clock.GetUtcNow().UtcDateTime.AddHours(1));

        _clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        Assert.True(tokens.TryValidate(token, out _));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(tokens.TryValidate(token, out var deviceId));
        Assert.Equal("", deviceId);
    }

    [Fact]
    public void TryValidate_ReturnsTrue_AfterARestart_WithTheKeyInTheDataDirectory()
    {
        var token = Service().Issue("device-7", _clock.GetUtcNow().UtcDateTime.AddDays(1));

        Assert.True(Service().TryValidate(token, out var deviceId));
        Assert.Equal("device-7", deviceId);
        var keyFile = Path.Combine(_directory.Path, DeviceTokenService.KeyFileName);
        Assert.Equal(32, new FileInfo(keyFile).Length);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
    }

    [Fact]
    public void TryValidate_ReturnsFalse_ForATokenOfAnotherKey()
    {
        using var other = new TempDirectory();
        var foreign = Service(other.Path).Issue("device-1", _clock.GetUtcNow().UtcDateTime.AddDays(1));

        Assert.False(Service().TryValidate(foreign, out _));
    }

    [Fact]
    public void TryValidate_ReturnsFalse_WhenTheTokenIsAltered()
    {
        var tokens = Service();
        var token = tokens.Issue("device-1", _clock.GetUtcNow().UtcDateTime.AddDays(1));
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        var otherDevice = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace("device-1", "device-2", StringComparison.Ordinal)));
        var noneHeader = Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);
        var flippedSignature = parts[2][..^2] + (parts[2][^2] == 'A' ? 'B' : 'A') + parts[2][^1];

        Assert.False(tokens.TryValidate($"{parts[0]}.{otherDevice}.{parts[2]}", out _));
        Assert.False(tokens.TryValidate($"{noneHeader}.{parts[1]}.", out _));
        Assert.False(tokens.TryValidate($"{noneHeader}.{parts[1]}.{parts[2]}", out _));
        Assert.False(tokens.TryValidate($"{parts[0]}.{parts[1]}.{flippedSignature}", out _));
        Assert.False(tokens.TryValidate(token + "\n", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("opaque-token")]
    [InlineData("a.b")]
    [InlineData("a.b.c")]
    [InlineData("...")]
    public void TryValidate_ReturnsFalse_ForGarbage(string token)
    {
        Assert.False(Service().TryValidate(token, out _));
    }

    [Fact]
    public void Constructor_Throws_WhenTheKeyFileIsDamaged()
    {
        File.WriteAllBytes(Path.Combine(_directory.Path, DeviceTokenService.KeyFileName), [1, 2, 3]);

        var error = Assert.Throws<InvalidOperationException>(() => Service());

        Assert.Contains("has 3 bytes, not 32", error.Message, StringComparison.Ordinal);
    }
}
