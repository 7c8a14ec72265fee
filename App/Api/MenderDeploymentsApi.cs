namespace Dashboard.App.Api;

/// <summary>Mender's deployments service: artifacts, deployments (management v1/v2) and the device side.</summary>
public static class MenderDeploymentsApi
{
    public static IEndpointRouteBuilder MapMenderDeploymentsApi(this IEndpointRouteBuilder app) => app;
}
