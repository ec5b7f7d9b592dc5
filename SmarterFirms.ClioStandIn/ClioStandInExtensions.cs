using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmarterFirms.ClioStandIn.OAuth;

namespace SmarterFirms.ClioStandIn;

internal static class ClioStandInExtensions
{
    public static IHostApplicationBuilder AddClioStandIn(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClioStandInOptions>()
            .BindConfiguration(ClioStandInOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ClioStandInOptions>, ClioStandInOptionsValidator>();

        // Tests register their own clock after this one.
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GrantStore>();

        builder.Services.AddProblemDetails();
        // Clio's wire format (and RFC 6749's) is snake_case.
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });

        return builder;
    }
}
