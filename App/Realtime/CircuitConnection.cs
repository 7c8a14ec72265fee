using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dashboard.App.Realtime;

/// <summary>
/// Whether this circuit's browser is connected, for what is sent outside render batches. Blazor
/// resends unacknowledged render batches after a reconnect, but not JS calls: a call made while the
/// connection is down fails, and one in flight when it drops would wait for its timeout. So a
/// <c>LiveList</c> passes <see cref="Token"/> (cancelled when the connection goes down) and sends
/// again on <see cref="Up"/>. One per circuit (scoped).
/// </summary>
public sealed class CircuitConnection : CircuitHandler
{
    private CancellationTokenSource _down = new();

    /// <summary>Cancelled when the connection goes down; a new one once it is back.</summary>
    public CancellationToken Token => _down.Token;

    /// <summary>Raised (on the circuit's dispatcher) when the connection is back after being down.</summary>
    public event Action? Up;

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken) => _down.CancelAsync();

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (!_down.IsCancellationRequested) return Task.CompletedTask; // the first connection
        var down = _down;
        _down = new CancellationTokenSource();
        down.Dispose();
        Up?.Invoke();
        return Task.CompletedTask;
    }
}
