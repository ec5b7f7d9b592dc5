using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Extensions;

public static class AuthenticationExtensions
{
    public static TBuilder AddTokenAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<LockoutOptions>().BindConfiguration(LockoutOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<TokenService>();
        builder.Services.AddScoped<AuditTrail>();
        builder.Services.AddOptions<PasswordHashingOptions>().BindConfiguration(PasswordHashingOptions.Section);
        builder.Services.AddOptions<PasswordHashGateOptions>().BindConfiguration(PasswordHashingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(services => PasswordHashing.CreateHasher(services.GetRequiredService<IOptions<PasswordHashingOptions>>().Value));
        builder.Services.AddSingleton<PasswordHashGate>();

        builder.Services.AddSingleton<CachingTokenHandler>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeys, IOptions<TokenOptions>, CachingTokenHandler>((jwt, keys, tokens, handler) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(handler);
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = tokens.Value.Issuer,
                    ValidAudience = tokens.Value.Audience,
                    IssuerSigningKeys = keys.VerificationKeys,
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    ValidTypes = [TokenService.AccessTokenType],
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = JwtRegisteredClaimNames.Sub,
                };
                jwt.Events = new JwtBearerEvents { OnTokenValidated = RequireLiveSessionAsync };
            });
        builder.Services.AddAuthorization();
        return builder;
    }

    // ASVS V7.4.1, by a session check: a token whose session was signed out, rotated away by reuse
    // detection or expired is refused from the very next request. One prepared statement of two primary-key lookups,
    // which also reads who the caller is now, for the firm policies (Caller.OfRequestAsync); an endpoint marked
    // SessionCheckedByEndpoint makes the check inside its own statement instead.
    private static async Task RequireLiveSessionAsync(TokenValidatedContext context)
    {
        if (!Guid.TryParse(context.Principal?.FindFirst(TokenService.SessionClaim)?.Value, out var sessionId)
            || !Guid.TryParse(context.Principal?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, out var userId))
        {
            context.Fail("The token carries no session.");
            return;
        }

        if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<SessionCheckedByEndpoint>() is not null)
        {
            return;
        }

        var services = context.HttpContext.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (await HotPath.LiveSessionCallerAsync(services.GetRequiredService<AuthDbContext>(), sessionId, userId, now, context.HttpContext.RequestAborted)
            is not { } caller)
        {
            context.Fail("The session has ended.");
            return;
        }

        context.HttpContext.Features.Set(caller);
    }
}
