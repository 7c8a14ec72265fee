namespace Dashboard.MenderFleet;

/// <summary>
/// The Mender fleet simulator: thousands of virtual devices on Mender's device API, with real signatures,
/// for demos and benchmarks. How to run it: README.md beside this file.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(FleetOptions.Usage);
            return 0;
        }

        FleetOptions options;
        try
        {
            options = FleetOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(FleetOptions.Usage);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var stats = await FleetSimulator.RunAsync(options, Console.Out, stop.Token);
        // Non-zero when the server said anything the real Mender client would not accept.
        return stats.UnexpectedCount == 0 ? 0 : 1;
    }
}
