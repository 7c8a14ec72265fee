namespace Dashboard.Data;

/// <summary>The operator contract: configuration section <c>Dashboard</c>, or environment variables <c>Dashboard__Key</c>.</summary>
public sealed class DashboardSettings
{
    public const string Section = "Dashboard";

    /// <summary>Where the SQLite file and any stored files live.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Password of the bootstrap administrator <c>admin</c> on first start; generated and logged once when unset.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>When set on first start, an all-scopes API token with exactly this secret is created.</summary>
    public string? BootstrapToken { get; set; }

    /// <summary>A fleet file to import at start-up.</summary>
    public string? FleetFile { get; set; }

    /// <summary>Load the demo fleet when the database is empty and no fleet file is given.</summary>
    public bool Demo { get; set; } = true;

    /// <summary><c>sqlite</c> (embedded default) or <c>postgres</c> (scale-out).</summary>
    public string DatabaseProvider { get; set; } = "sqlite";

    /// <summary>Connection string for PostgreSQL; ignored for SQLite, whose file is in <see cref="DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A certificate with its private key (PKCS#12 <c>.pfx</c>/<c>.p12</c>, or PEM with the key in the same file) that
    /// encrypts the data-protection keys in the data directory's <c>keys/</c>. Unset, the keys are stored as Linux
    /// stores them by default: readable by whoever can read the directory.
    /// </summary>
    public string? KeyCertificate { get; set; }

    /// <summary>Password of <see cref="KeyCertificate"/> (of the PKCS#12 file, or of an encrypted PEM key).</summary>
    public string? KeyCertificatePassword { get; set; }

    /// <summary>
    /// The certificate <see cref="KeyCertificate"/> replaces, while keys encrypted to it are moved over: they are
    /// encrypted to the new one at the next start, after which this can be removed.
    /// </summary>
    public string? PreviousKeyCertificate { get; set; }

    /// <summary>Password of <see cref="PreviousKeyCertificate"/>.</summary>
    public string? PreviousKeyCertificatePassword { get; set; }

    public string SqlitePath => Path.Combine(Path.GetFullPath(DataDirectory), "dashboard.db");

    public bool UsesPostgres => string.Equals(DatabaseProvider, "postgres", StringComparison.OrdinalIgnoreCase);
}
