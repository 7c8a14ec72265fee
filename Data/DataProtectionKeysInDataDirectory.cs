using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Data;

/// <summary>
/// Keeps the data-protection key ring in the data directory: the keys that sign sign-in cookies (people
/// and the kiosk stay signed in across restarts) and that encrypt webhook signing secrets at rest
/// (<see cref="Webhooks.WebhookSecrets"/>). Nodes on one PostgreSQL share the directory, so they share the ring.
/// </summary>
internal sealed class DataProtectionKeysInDataDirectory(DashboardSettings settings, ILoggerFactory loggers) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options)
    {
        var directory = new DirectoryInfo(Path.Combine(Path.GetFullPath(settings.DataDirectory), "keys"));
        directory.Create();
        options.XmlRepository = new FileSystemXmlRepository(directory, loggers);
    }
}
