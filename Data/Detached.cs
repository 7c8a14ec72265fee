namespace Dashboard.Data;

/// <summary>
/// Starts work that outlives its caller (a writer's loop, a shared feed, a timer) without the caller's
/// execution context. Such work is usually started lazily by whichever request or circuit event comes
/// first, and whatever it captures then (the audit actor, the trace <c>Activity</c>, logging scopes)
/// would otherwise be attributed to everything it does for every later caller, for the life of the process.
/// </summary>
public static class Detached
{
    /// <summary>Runs <paramref name="work"/> on the thread pool in an empty execution context.</summary>
    public static Task Run(Func<Task> work)
    {
        using (ExecutionContext.SuppressFlow()) return Task.Run(work);
    }

    /// <inheritdoc cref="Run(Func{Task})"/>
    public static Task<T> Run<T>(Func<Task<T>> work)
    {
        using (ExecutionContext.SuppressFlow()) return Task.Run(work);
    }

    /// <summary>
    /// Calls <paramref name="create"/> so that what it starts (timers, <c>_ = LoopAsync()</c>) captures no
    /// execution context. Only what it starts: its own synchronous code still runs in the caller's context.
    /// </summary>
    public static T Create<T>(Func<T> create)
    {
        using (ExecutionContext.SuppressFlow()) return create();
    }
}
