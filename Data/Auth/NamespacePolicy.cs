using System.Text.RegularExpressions;

namespace Dashboard.Data.Auth;

/// <summary>
/// A token's namespace policy for the Nomad API, the part of Nomad's ACL policies this dashboard
/// checks: which namespaces (the fleet's projects) the token may use. Entries are a namespace name
/// or <c>*</c> (every namespace), optionally followed by <c>:read</c>, which allows only what Nomad
/// calls <c>read-job</c>; a bare entry allows <c>read-job</c> and <c>submit-job</c>. The token's
/// scopes still decide first (<c>read</c> for reads, <c>deployments:write</c> for writes): the policy
/// only narrows them. A token without a policy (null) is not restricted by namespace.
/// </summary>
public static partial class NamespacePolicy
{
    /// <summary>Nomad's capability for reads: jobs, deployments, allocations.</summary>
    public const string ReadJob = "read-job";
    /// <summary>Nomad's capability for writes: register, revert, stop, every deployment action.</summary>
    public const string SubmitJob = "submit-job";

    public const string Any = "*";
    private const string ReadOnly = ":read";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex Name();

    /// <summary>
    /// The entries in their stored form (trimmed, <c>:read-job</c> as <c>:read</c>, <c>:write</c> and
    /// <c>:submit-job</c> dropped, a read-only entry dropped where the same namespace is writable);
    /// null for no entries, which means no restriction.
    /// </summary>
    /// <exception cref="ValidationException">An entry that is not a namespace name or <c>*</c> with an optional capability.</exception>
    public static List<string>? Normalize(IEnumerable<string>? entries)
    {
        if (entries is null) return null;
        var writable = new SortedSet<string>(StringComparer.Ordinal);
        var readable = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in entries.Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var colon = raw.IndexOf(':');
            var name = colon < 0 ? raw : raw[..colon].Trim();
            var capability = colon < 0 ? "write" : raw[(colon + 1)..].Trim();
            if (name != Any && !Name().IsMatch(name))
                throw new ValidationException("namespaces", $"\"{raw}\" is not a namespace: use letters, digits, '-' and '_', or * for every namespace.");
            switch (capability)
            {
                case "write" or SubmitJob: writable.Add(name); break;
                case "read" or ReadJob: readable.Add(name); break;
                default: throw new ValidationException("namespaces", $"\"{raw}\": the capability must be read ({ReadJob}) or write ({SubmitJob}).");
            }
        }
        readable.ExceptWith(writable);
        List<string> result = [.. writable, .. readable.Select(n => n + ReadOnly)];
        return result.Count == 0 ? null : result;
    }

    /// <summary>Whether <paramref name="policy"/> allows <paramref name="capability"/> in namespace <paramref name="ns"/>.</summary>
    public static bool Allows(IReadOnlyCollection<string>? policy, string ns, string capability)
    {
        if (policy is null) return true;
        foreach (var entry in policy)
        {
            var readOnly = entry.EndsWith(ReadOnly, StringComparison.Ordinal);
            var name = readOnly ? entry[..^ReadOnly.Length] : entry;
            if ((name == Any || name == ns) && (!readOnly || capability == ReadJob)) return true;
        }
        return false;
    }

    /// <summary>The namespaces a listing across all of them (<c>namespace=*</c>) may show; null for every one.</summary>
    public static IReadOnlyCollection<string>? Readable(IReadOnlyCollection<string>? policy)
    {
        if (policy is null) return null;
        var names = policy.Select(e => e.EndsWith(ReadOnly, StringComparison.Ordinal) ? e[..^ReadOnly.Length] : e).ToHashSet(StringComparer.Ordinal);
        return names.Contains(Any) ? null : names;
    }
}
