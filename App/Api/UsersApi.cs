using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;

namespace Dashboard.App.Api;

/// <summary>
/// User management for administrators' tokens, with the Users page's rules (<see cref="UserService"/>):
/// <c>GET/POST /api/users</c>, <c>GET /api/users/{id}</c>, <c>PUT /api/users/{id}/role</c>,
/// <c>POST /api/users/{id}/disable</c> and <c>/enable</c>, <c>PUT /api/users/{id}/password</c>. Password hashes never leave.
/// </summary>
public static class UsersApi
{
    public sealed record UserDto(int Id, string UserName, string Role, bool Disabled, DateTime CreatedAt, DateTime? DisabledAt);
    public sealed record CreateUserRequest(string? UserName, string? Role, string? Password);
    public sealed record RoleRequest(string? Role);
    public sealed record PasswordRequest(string? Password);

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/users")
            .WithTags("Users")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Admin));

        group.MapGet("/", async (UserService users, CancellationToken ct) => Results.Ok((await users.ListAsync(ct)).Select(Dto))).WithName("ListUsers");
        group.MapGet("/{id:int}", async (int id, UserService users, CancellationToken ct) => Results.Ok(Dto(await users.GetAsync(id, ct)))).WithName("GetUser");

        group.MapPost("/", async (CreateUserRequest? request, UserService users, CancellationToken ct) =>
        {
            if (request is null) throw new ValidationException("body", "A JSON body is required.");
            var user = await users.CreateAsync(request.UserName, request.Role, request.Password, ct);
            return Results.Created($"/api/users/{user.Id}", Dto(user));
        }).WithName("CreateUser");

        group.MapPut("/{id:int}/role", async (int id, RoleRequest? request, UserService users, CancellationToken ct) =>
            Results.Ok(Dto(await users.SetRoleAsync(id, request?.Role, ct)))).WithName("SetUserRole");
        group.MapPost("/{id:int}/disable", async (int id, UserService users, CancellationToken ct) =>
            Results.Ok(Dto(await users.SetDisabledAsync(id, true, ct)))).WithName("DisableUser");
        group.MapPost("/{id:int}/enable", async (int id, UserService users, CancellationToken ct) =>
            Results.Ok(Dto(await users.SetDisabledAsync(id, false, ct)))).WithName("EnableUser");
        group.MapPut("/{id:int}/password", async (int id, PasswordRequest? request, UserService users, CancellationToken ct) =>
        {
            await users.ResetPasswordAsync(id, request?.Password, ct);
            return Results.NoContent();
        }).WithName("ResetUserPassword");
        return app;
    }

    private static UserDto Dto(User u) => new(u.Id, u.UserName, u.Role, u.DisabledAt is not null, u.CreatedAt, u.DisabledAt);
}
