using Microsoft.AspNetCore.Http.HttpResults;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Http;

// The problem details this API answers with (RFC 7807); each says what to do next.
public static class Problems
{
    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    public static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict);

    public static ProblemHttpResult Unprocessable(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity);

    // A 400 naming one field (its JSON name) and what to enter instead.
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    // Resources and actions come from the closed vocabulary only; null when both are in it.
    public static ValidationProblem? NotInVocabulary(string? resource, string? action)
    {
        var errors = new Dictionary<string, string[]>();
        if (resource is null || !PermissionVocabulary.IsResource(resource))
        {
            errors["resource"] = [$"Use one of: {string.Join(", ", PermissionVocabulary.Resources)}."];
        }

        if (action is null || !PermissionVocabulary.IsAction(action))
        {
            errors["action"] = [$"Use one of: {string.Join(", ", PermissionVocabulary.Actions)}."];
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }
}
