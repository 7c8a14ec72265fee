using System.Diagnostics;

namespace Dashboard.App.Tests.Rollouts.Devices;

/// <summary>The openssl command line, so keys and signatures in device tests come from a tool that is not ours.</summary>
public static class OpenSsl
{
    public static async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    /// <summary>Generates a private key (<c>rsa2048</c>, <c>rsa3072</c>, <c>p256</c>, <c>ed25519</c>, or any <c>-pkeyopt</c> curve via <c>ec:NAME</c>) and returns the private and public PEM paths.</summary>
    public static async Task<(string PrivateKey, string PublicKey)> GenerateAsync(string directory, string kind)
    {
        var name = Path.Combine(directory, kind.Replace(':', '-') + "-" + Guid.NewGuid().ToString("N")[..8]);
        string[] algorithm = kind switch
        {
            "rsa2048" => ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "rsa3072" => ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            "rsa1024" => ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            "p256" => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "ed25519" => ["-algorithm", "ed25519"],
            _ when kind.StartsWith("ec:", StringComparison.Ordinal) => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + kind[3..]],
            _ => throw new ArgumentException(kind),
        };
        await RunAsync(["genpkey", .. algorithm, "-out", name + ".pem"]);
        await RunAsync("pkey", "-in", name + ".pem", "-pubout", "-out", name + ".pub.pem");
        return (name + ".pem", name + ".pub.pem");
    }

    /// <summary>Signs <paramref name="body"/> as a Mender client does (SHA-256; pure Ed25519) and returns the base64 signature.</summary>
    public static async Task<string> SignAsync(string privateKey, byte[] body, bool ed25519)
    {
        var input = privateKey + "." + Guid.NewGuid().ToString("N")[..8] + ".body";
        var output = input + ".sig";
        await File.WriteAllBytesAsync(input, body, TestContext.Current.CancellationToken);
        if (ed25519) await RunAsync("pkeyutl", "-sign", "-inkey", privateKey, "-rawin", "-in", input, "-out", output);
        else await RunAsync("dgst", "-sha256", "-sign", privateKey, "-out", output, input);
        return Convert.ToBase64String(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
    }
}
