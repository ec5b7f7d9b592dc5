using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace SmarterFirms.AuthApi.Auth;

// The signed-in caller, read from a token this API validated (and whose session is live).
public static class CurrentUser
{
    public static Guid UserId(this ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? throw new InvalidOperationException("No sub claim."));

    public static Guid SessionId(this ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(TokenService.SessionClaim) ?? throw new InvalidOperationException("No sid claim."));
}
