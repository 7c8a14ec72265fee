using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dashboard.App.Observability;

/// <summary>Counts open Blazor circuits (each live page or wall screen holds one) for /metrics and the System page.</summary>
public sealed class CircuitCounter(DashboardMetrics metrics) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
