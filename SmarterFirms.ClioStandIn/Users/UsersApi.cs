using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SmarterFirms.ClioStandIn.OAuth;

namespace SmarterFirms.ClioStandIn.Users;

// GET /api/v4/users/who_am_i: the signed-in Clio user, shaped like Clio's {"data": {...}} with the "fields" rules of
// https://docs.developers.clio.com/api-docs/fields (default id,etag; nested resource in braces, default id,etag).
internal static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v4/users").WithTags("Users");

        group.MapGet("/who_am_i", WhoAmI);
        // Clio's reference documents the paths with a .json suffix; clients use either.
        group.MapGet("/who_am_i.json", WhoAmI);

        return group;
    }

    internal static Results<Ok<JsonObject>, JsonHttpResult<ClioApiError>, JsonHttpResult<OAuthError>> WhoAmI(
        HttpContext context, string? fields, GrantStore store, IOptions<ClioStandInOptions> options)
    {
        var token = OAuthApi.BearerToken(context.Request);
        if (token is null || store.FindUserId(token) is not { } userId || options.Value.FindUser(userId) is not { } user)
        {
            return OAuthApi.InvalidToken(context);
        }

        if (!UserFields.TryRender(user, options.Value.FindAccount(user.AccountId), fields, out var data, out var problem))
        {
            return TypedResults.Json(new ClioApiError(new ClioApiErrorDetail("BadRequest", problem)), statusCode: StatusCodes.Status400BadRequest);
        }
        return TypedResults.Ok(new JsonObject { ["data"] = data });
    }
}

internal sealed record ClioApiError(ClioApiErrorDetail Error);

internal sealed record ClioApiErrorDetail(string Type, string Message);

internal static class UserFields
{
    private static readonly string[] DefaultFields = ["id", "etag"];

    public static bool TryRender(
        ClioUserOptions user, ClioAccountOptions? account, string? fields, out JsonObject data, out string problem)
    {
        data = [];
        problem = "";
        if (!TryParse(fields, out var selection, out problem))
        {
            return false;
        }

        foreach (var (name, nested) in selection)
        {
            JsonNode? value;
            if (name == "account")
            {
                var accountObject = new JsonObject();
                foreach (var field in nested ?? DefaultFields)
                {
                    JsonNode? accountValue = field switch
                    {
                        "id" => user.AccountId,
                        "etag" => ETag(user.AccountId, account?.Name ?? ""),
                        "name" => account?.Name,
                        _ => Invalid(out problem, $"Invalid field for account: {field}"),
                    };
                    if (problem.Length > 0)
                    {
                        return false;
                    }
                    accountObject[field] = accountValue;
                }
                value = accountObject;
            }
            else if (nested is not null)
            {
                problem = $"{name} is not a nested resource";
                return false;
            }
            else
            {
                var space = user.Name.IndexOf(' ', StringComparison.Ordinal);
                value = name switch
                {
                    "id" => user.Id,
                    "etag" => ETag(user.Id, user.Name, user.Email, user.AccountId),
                    "name" => user.Name,
                    "first_name" => space < 0 ? user.Name : user.Name[..space],
                    "last_name" => space < 0 ? "" : user.Name[(space + 1)..],
                    "email" => user.Email,
                    "enabled" => true,
                    _ => Invalid(out problem, $"Invalid field: {name}"),
                };
                if (problem.Length > 0)
                {
                    return false;
                }
            }
            data[name] = value;
        }
        return true;
    }

    // "id,name,account{id,name}" → [(id, null), (name, null), (account, [id, name])]. One level of nesting only.
    internal static bool TryParse(string? fields, out List<(string Name, string[]? Nested)> selection, out string problem)
    {
        selection = [];
        problem = "";
        if (string.IsNullOrWhiteSpace(fields))
        {
            selection.AddRange(DefaultFields.Select(f => (f, (string[]?)null)));
            return true;
        }

        var i = 0;
        while (i < fields.Length)
        {
            var end = fields.IndexOfAny([',', '{'], i);
            if (end < 0)
            {
                end = fields.Length;
            }
            var name = fields[i..end].Trim();
            string[]? nested = null;
            i = end;
            if (i < fields.Length && fields[i] == '{')
            {
                var close = fields.IndexOf('}', i);
                if (close < 0 || fields.IndexOf('{', i + 1, close - i - 1) >= 0)
                {
                    problem = "Malformed fields: nested fields need one pair of braces, one level deep";
                    return false;
                }
                nested = [.. fields[(i + 1)..close].Split(',').Select(f => f.Trim())];
                if (nested.Any(f => f.Length == 0))
                {
                    problem = "Malformed fields: empty nested field name";
                    return false;
                }
                i = close + 1;
            }
            if (name.Length == 0 || (i < fields.Length && fields[i] != ','))
            {
                problem = "Malformed fields: expected a comma-separated list";
                return false;
            }
            if (selection.Any(s => s.Name == name))
            {
                problem = $"Malformed fields: {name} appears more than once";
                return false;
            }
            selection.Add((name, nested));
            i++;
        }
        return true;
    }

    private static JsonNode? Invalid(out string problem, string message)
    {
        problem = message;
        return null;
    }

    private static string ETag(params object[] parts) =>
        $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', parts))))[..32]}\"";
}
