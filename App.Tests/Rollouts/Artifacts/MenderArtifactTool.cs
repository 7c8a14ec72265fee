using System.Diagnostics;
using System.Formats.Tar;

namespace Dashboard.App.Tests.Rollouts.Artifacts;

/// <summary>
/// Debian's real <c>mender-artifact</c> (3.9), run at test time to make the artifacts the tests read,
/// and a repacker for the corrupt and tampered variants built from them.
/// </summary>
public static class MenderArtifactTool
{
    public const string Executable = "/usr/bin/mender-artifact";

    /// <summary>Runs <c>mender-artifact write &lt;arguments&gt; -o &lt;output&gt;</c> and returns <paramref name="output"/>.</summary>
    public static async Task<string> WriteAsync(string output, params IEnumerable<string> arguments)
    {
        Assert.True(File.Exists(Executable), "needs mender-artifact: apt-get install -y mender-artifact (.ci/run does)");
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("write");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(output);

        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"mender-artifact write {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        return output;
    }

    /// <summary>A <c>single-file</c> module-image artifact carrying one file with <paramref name="content"/>.</summary>
    public static async Task<string> SingleFileAsync(string directory, string artifactName, IEnumerable<string> deviceTypes,
        string fileName = "hello.txt", string content = "hello from a mender artifact\n", params IEnumerable<string> extraArguments)
    {
        var payloadDirectory = Path.Combine(directory, "payload-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(payloadDirectory);
        var payload = Path.Combine(payloadDirectory, fileName);
        await File.WriteAllTextAsync(payload, content, TestContext.Current.CancellationToken);
        List<string> arguments = ["module-image", "-T", "single-file", "-n", artifactName, "-f", payload];
        foreach (var type in deviceTypes) arguments.AddRange(["-t", type]);
        arguments.AddRange(extraArguments);
        return await WriteAsync(Path.Combine(directory, artifactName + ".mender"), arguments);
    }

    /// <summary>
    /// Copies the outer tar of <paramref name="source"/> to <paramref name="target"/>, letting
    /// <paramref name="change"/> replace a member's name and bytes (or drop it by returning null).
    /// </summary>
    public static async Task<string> RepackAsync(string source, string target, Func<string, byte[], (string Name, byte[] Content)?> change)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var input = File.OpenRead(source);
        await using var output = File.Create(target);
        await using var reader = new TarReader(input);
        await using var writer = new TarWriter(output, TarEntryFormat.Ustar);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            using var content = new MemoryStream();
            if (entry.DataStream is { } data) await data.CopyToAsync(content, ct);
            if (change(entry.Name, content.ToArray()) is not { } changed) continue;
            var copy = new UstarTarEntry(TarEntryType.RegularFile, changed.Name) { DataStream = new MemoryStream(changed.Content) };
            await writer.WriteEntryAsync(copy, ct);
        }
        return target;
    }
}
