namespace Dashboard.Data;

/// <summary>Input the caller got wrong. Each API maps it to its own error format; forms show it by the field.</summary>
public sealed class ValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>Something the caller named does not exist.</summary>
public sealed class NotFoundException(string what, string id) : Exception($"{what} '{id}' was not found.")
{
    public string What { get; } = what;
    public string Id { get; } = id;
}

/// <summary>The request is well-formed but conflicts with the current state (a lost race, a finished deployment).</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>The actor may not do this (a viewer promoting a deployment, an operator creating a user).</summary>
public sealed class ForbiddenException(string message) : Exception(message);
