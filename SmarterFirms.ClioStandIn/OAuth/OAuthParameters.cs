using Microsoft.Extensions.Primitives;

namespace SmarterFirms.ClioStandIn.OAuth;

// RFC 6749 §3.1: an empty parameter counts as absent, and no parameter may appear twice.
internal sealed class OAuthParameters(Func<string, StringValues> lookup)
{
    public string? Repeated { get; private set; }

    public string? this[string name]
    {
        get
        {
            var values = lookup(name);
            if (values.Count > 1)
            {
                Repeated ??= name;
                return null;
            }
            return string.IsNullOrEmpty(values.ToString()) ? null : values.ToString();
        }
    }

    public static OAuthParameters From(IQueryCollection query) => new(name => query[name]);

    public static OAuthParameters From(IFormCollection form) => new(name => form[name]);
}

internal static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string AccessDenied = "access_denied";
    public const string InvalidToken = "invalid_token";
}

// RFC 6749 §5.2 error body; Clio answers an invalid bearer token the same way (error "invalid_token").
internal sealed record OAuthError(string Error, string? ErrorDescription = null);
