using System.Text.Json;

namespace SmarterFirms.AuthApi.Extensions;

public static class ProblemDetailsExtensions
{
    // RFC 7807 for every error. Validation keys follow the JSON (camelCase) names: .NET 10's validator
    // reports C# property names (dotnet/aspnetcore#61764).
    public static TBuilder AddApiProblemDetails<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails is HttpValidationProblemDetails validation)
            {
                var errors = validation.Errors.ToDictionary(e => JsonNamingPolicy.CamelCase.ConvertName(e.Key), e => e.Value);
                validation.Errors.Clear();
                foreach (var (key, value) in errors)
                {
                    validation.Errors[key] = value;
                }
            }
        });
        builder.Services.AddValidation();
        return builder;
    }

    // Malformed JSON, a wrong content type or an oversized body surface as BadHttpRequestException:
    // answer with its 4xx status, never a 500.
    public static IApplicationBuilder UseApiExceptionHandler(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
}
