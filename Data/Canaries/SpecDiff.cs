using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dashboard.Data.Canaries;

public enum DiffKind { Same, Removed, Added }

public sealed record DiffLine(DiffKind Kind, string Text);

/// <summary>A line diff of two versions' specs, pretty-printed, for the job page.</summary>
public static class SpecDiff
{
    private static readonly JsonSerializerOptions PrettyOptions = new() { WriteIndented = true };

    public static string Pretty(string specJson) => JsonNode.Parse(specJson)!.ToJsonString(PrettyOptions);

    /// <summary>Longest common subsequence over lines; specs are small (tens of lines), so quadratic is fine.</summary>
    public static List<DiffLine> Lines(string fromSpecJson, string toSpecJson)
    {
        var a = Pretty(fromSpecJson).Split('\n');
        var b = Pretty(toSpecJson).Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var lines = new List<DiffLine>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y]) { lines.Add(new(DiffKind.Same, a[x])); x++; y++; }
            else if (lcs[x + 1, y] >= lcs[x, y + 1]) lines.Add(new(DiffKind.Removed, a[x++]));
            else lines.Add(new(DiffKind.Added, b[y++]));
        }
        while (x < a.Length) lines.Add(new(DiffKind.Removed, a[x++]));
        while (y < b.Length) lines.Add(new(DiffKind.Added, b[y++]));
        return lines;
    }

    /// <summary>Changed lines with <paramref name="context"/> lines around them; longer unchanged runs become one "…" line.</summary>
    public static List<DiffLine> Folded(List<DiffLine> lines, int context = 3)
    {
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Kind == DiffKind.Same) continue;
            for (var j = Math.Max(0, i - context); j <= Math.Min(lines.Count - 1, i + context); j++) keep[j] = true;
        }
        if (!keep.Contains(true)) return [new DiffLine(DiffKind.Same, "(the two specs are the same)")];
        var folded = new List<DiffLine>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (keep[i]) folded.Add(lines[i]);
            else if (i == 0 || keep[i - 1]) folded.Add(new DiffLine(DiffKind.Same, "…"));
        }
        return folded;
    }
}
