using Microsoft.Extensions.Validation;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.AuthApi.Http;

// What the firm features' handlers use. Services, not input: the request validator must not walk into the
// DbContext (ASP0029: the attribute is marked for evaluation in .NET 10, and is the documented way to say so).
#pragma warning disable ASP0029
[SkipValidation]
#pragma warning restore ASP0029
public sealed record FirmServices(
    HttpContext Http, AuthDbContext Db, AuditTrail Audit, AccessDenials Denials, TimeProvider Time, FieldEncryptor Encryptor)
{
    public Guid UserId => Http.User.UserId();

    public Task<Caller?> CallerAsync(CancellationToken cancellationToken) => Caller.OfRequestAsync(Http, Db, UserId, cancellationToken);
}
