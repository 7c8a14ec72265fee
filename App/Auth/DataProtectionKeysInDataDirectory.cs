using Dashboard.Data;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Dashboard.App.Auth;

/// <summary>
/// Keeps the keys that sign sign-in cookies in the data directory, so people (and the kiosk)
/// stay signed in across restarts.
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
