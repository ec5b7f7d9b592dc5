using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.FeatureManagement;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Audit;

public sealed record AuditKey(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

public sealed record AuditKeySet(IReadOnlyList<AuditKey> Keys);

// A seal as published: every field the signature covers, the payload that was signed, and the signature (base64url).
public sealed record Checkpoint(
    Guid ChainId, long Seq, string Kind, DateTimeOffset RangeFrom, DateTimeOffset RangeTo, int RowCount, Guid? FirstId, Guid? LastId,
    string Root, string Digests, string? PrevHash, DateTimeOffset? RetainedFrom, DateTimeOffset SealedAt, string KeyId,
    string SealHash, string Signature, string Payload)
{
    public static Checkpoint Of(AuthLogSeal s) => new(
        s.ChainId, s.Seq, s.Kind, s.RangeFrom, s.RangeTo, s.RowCount, s.FirstId, s.LastId, Convert.ToHexStringLower(s.Root),
        Convert.ToHexStringLower(s.Digests), s.PrevHash is null ? null : Convert.ToHexStringLower(s.PrevHash), s.RetainedFrom, s.SealedAt,
        s.KeyId, Convert.ToHexStringLower(s.SealHash), CheckpointKey.Base64Url(s.Signature), AuditSeal.Payload(s));
}

// The trail's proof, for firm admins and anyone who keeps a witness: the checkpoint keys (JWKS), the firm chain's
// newest signed checkpoint, and the chain verified now. Behind the AuditSealing flag.
public static class AuditApi
{
    public const string Feature = "AuditSealing";

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/.well-known/audit-keys", AuditKeysAsync).WithTags("Audit")
            .WithSummary("The public checkpoint keys (JWKS), current and previous: every seal verifies against one of them.");

        var firm = routes.MapGroup("/firms/{firmId:guid}/auth-logs").WithTags("Audit").RequireFirmAdmin();
        firm.MapGet("/checkpoint", CheckpointAsync).WithSummary("The newest signed checkpoint of the firm's chain.");
        firm.MapGet("/verification", VerificationAsync).WithSummary("The firm's chain verified now: {intact, findings[]}.");
        return routes;
    }

    private static async Task<Results<Ok<AuditKeySet>, ProblemHttpResult>> AuditKeysAsync(
        CheckpointKeyRing keys, IFeatureManager features, HttpContext http)
    {
        if (!await features.IsEnabledAsync(Feature))
        {
            return Features.Off(Feature);
        }

        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new AuditKeySet(keys.Keys.Select(k => new AuditKey("EC", "P-256", k.X, k.Y, k.KeyId, "sig", "ES256")).ToList()));
    }

    private static async Task<Results<Ok<Checkpoint>, ProblemHttpResult>> CheckpointAsync(
        Guid firmId, AuthDbContext db, IFeatureManager features, CancellationToken cancellationToken)
    {
        if (!await features.IsEnabledAsync(Feature))
        {
            return Features.Off(Feature);
        }

        var newest = await db.AuthLogSeals.AsNoTracking().Where(s => s.ChainId == firmId).OrderByDescending(s => s.Seq).FirstOrDefaultAsync(cancellationToken);
        return newest is null
            ? Problems.NotFound("No checkpoint yet", "The firm's chain has no seal yet; the sealer seals every few seconds.")
            : TypedResults.Ok(Checkpoint.Of(newest));
    }

    private static async Task<Results<Ok<AuditVerification>, ProblemHttpResult>> VerificationAsync(
        Guid firmId, AuthDbContext db, TenantContext tenant, CheckpointKeyRing keys, IOptions<AuditOptions> options,
        IFeatureManager features, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!await features.IsEnabledAsync(Feature))
        {
            return Features.Off(Feature);
        }

        var result = await AuditSnapshot.ReadAsync(db, tenant, connection =>
            new ChainVerifier(keys, options.Value).VerifyAsync(connection, firmId, null, time.GetUtcNow(), cancellationToken), cancellationToken);
        return TypedResults.Ok(result);
    }
}
