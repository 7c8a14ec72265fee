using Dashboard.Data.Auth;
using Hangfire.Dashboard;

namespace Dashboard.App.Auth;

/// <summary>The Hangfire dashboard is for signed-in administrators only (replaces its local-requests-only default).</summary>
public sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) =>
        context.GetHttpContext().User.IsInRole(Roles.Admin);
}
