using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.FeatureManagement;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Audit;

// Checked in the handler: validation attributes on [AsParameters] members break the OpenAPI document in .NET 10.
public sealed record AuditExportQuery(DateTimeOffset? From, DateTimeOffset? To, string? Format);

// A firm admin takes the firm's trail away with its proof: NDJSON with the seals and the newest checkpoint (verifiable
// offline by tools/SmarterFirms.AuditVerify with only the JWKS), or the events as CSV or OCSF. Streamed from one
// snapshot; the export itself is an audit event.
public static class AuditExportApi
{
    public static RouteGroupBuilder MapAuditExportApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/firms/{firmId:guid}/auth-logs").WithTags("Audit").RequireFirmAdmin();
        group.MapGet("/export", ExportAsync)
            .Produces(StatusCodes.Status200OK, contentType: "application/x-ndjson", additionalContentTypes: "text/csv")
            .WithSummary("The firm's trail in [from, to) as NDJSON with its seals and checkpoint (format=ndjson), CSV or OCSF, streamed.");
        return group;
    }

    private static async Task<Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult>> ExportAsync(
        Guid firmId, [AsParameters] AuditExportQuery query, [AsParameters] FirmServices s, TenantContext tenant, IFeatureManager features)
    {
        if (!await features.IsEnabledAsync(AuditApi.Feature))
        {
            return Features.Off(AuditApi.Feature);
        }

        var format = query.Format?.Trim().ToLowerInvariant() ?? AuditExportWriters.Ndjson;
        var errors = new Dictionary<string, string[]>();
        if (!AuditExportWriters.Formats.Contains(format))
        {
            errors["format"] = [$"Use one of: {string.Join(", ", AuditExportWriters.Formats)}."];
        }

        var now = s.Time.GetUtcNow();
        // timestamptz takes UTC only; Postgres keeps microseconds, so the bounds are cut to them as the rows are.
        var from = Data.Audit.AuditSeal.ToMicros((query.From ?? DateTimeOffset.UnixEpoch).ToUniversalTime());
        var to = Data.Audit.AuditSeal.ToMicros((query.To ?? now).ToUniversalTime());
        if (from > to)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        s.Audit.Record(AuthEventType.AuditExported, s.UserId, firmId, s.UserId, new { from, to, format });
        await s.Db.SaveChangesAsync(s.Http.RequestAborted);

        s.Http.Response.Headers.CacheControl = "no-store";
        var extension = format == AuditExportWriters.Ocsf ? "ocsf.ndjson" : format;
        return TypedResults.Stream(body => AuditSnapshot.ReadAsync(s.Db, tenant, async connection =>
            {
                var keys = $"{s.Http.Request.Scheme}://{s.Http.Request.Host}/.well-known/audit-keys";
                var lines = AuditExport.LinesAsync(connection, firmId, from, to, now, keys, proof: format == AuditExportWriters.Ndjson, s.Http.RequestAborted);
                await AuditExportWriters.WriteAsync(body, format, lines, s.Http.RequestAborted);
                return true;
            }, s.Http.RequestAborted),
            AuditExportWriters.ContentType(format), $"audit-{firmId:N}-{now:yyyyMMddTHHmmssZ}.{extension}");
    }
}
