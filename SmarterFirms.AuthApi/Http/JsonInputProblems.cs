using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace SmarterFirms.AuthApi.Http;

// A body that does not bind (malformed JSON, a wrong type, an enum by number, nesting past the limit) is a 400
// validation problem naming the field by its JSON path, like every other refused value; never a 500.
public sealed class JsonInputProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException { InnerException: JsonException json })
        {
            return false;
        }

        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
        var message = json is InputException
            ? json.Message
            : json.Path is null ? "Send a well-formed JSON document." : "Send a value of the type this field takes.";
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = StatusCodes.Status400BadRequest,
            },
            Exception = exception,
        });
    }
}
