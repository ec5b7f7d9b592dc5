using System.Security.Cryptography;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.MigrationWorker.Security;

// Encryption at rest: the key provider answers, and a sample of every encrypted column holds the versioned envelope
// that opens with its own table/column/row/firm binding and not with another row's.
internal static class EncryptionChecks
{
    private const int SampleSize = 20;

    // Every column the API encrypts with FieldEncryptor, with the columns that make up its binding.
    private static readonly IReadOnlyList<EncryptedColumn> Encrypted =
    [
        new("firm_consultant_associations", "notes", RowId: "id", FirmId: "firm_id"),
        new("clio_connections", "access_token", RowId: "user_id", FirmId: "firm_id"),
        new("clio_connections", "refresh_token", RowId: "user_id", FirmId: "firm_id"),
    ];

    // Binary columns that hold hashes, not secrets: every other bytea column must be in Encrypted, so a new one is a decision.
    private static readonly IReadOnlyList<string> NotEncrypted =
    [
        "refresh_tokens.token_hash", "clio_authorization_requests.state_hash", "clio_authorization_requests.browser_binding_hash",
        "clio_sign_in_codes.code_hash", "clio_sign_in_codes.browser_binding_hash",
        // The audit trail's hashes, id commitments and seal signatures: public proof, not secrets (docs/audit.md).
        "auth_logs.row_hash", "auth_logs.user_ref", "auth_logs.firm_ref", "auth_logs.actor_ref",
        "auth_logs_default.row_hash", "auth_logs_default.user_ref", "auth_logs_default.firm_ref", "auth_logs_default.actor_ref",
        "auth_log_seals.root", "auth_log_seals.digests", "auth_log_seals.prev_hash", "auth_log_seals.seal_hash", "auth_log_seals.signature",
    ];

    public static async Task<CheckOutcome> KeyProviderAsync(SecurityContext context)
    {
        if (context.KeyProvider is null)
        {
            return CheckOutcome.Fail(
                "no key provider is configured: give the worker the API's Encryption settings (Encryption:Local:MasterKey, " +
                "or Encryption:Provider=AwsKms with Encryption:Kms:KeyId and Region)");
        }

        var probeContext = new Dictionary<string, string> { [FieldEncryptor.FirmIdContextKey] = "security-check" };
        var dataKey = await context.KeyProvider.GenerateDataKeyAsync(probeContext, context.CancellationToken);
        var unwrapped = await context.KeyProvider.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, probeContext, context.CancellationToken);
        var answers = CryptographicOperations.FixedTimeEquals(dataKey.Plaintext, unwrapped);
        CryptographicOperations.ZeroMemory(dataKey.Plaintext);
        CryptographicOperations.ZeroMemory(unwrapped);
        return answers
            ? CheckOutcome.Pass($"{context.KeyProvider.GetType().Name} generated and unwrapped a data key under '{dataKey.KeyId}'")
            : CheckOutcome.Fail($"{context.KeyProvider.GetType().Name} unwrapped a data key to different bytes than it generated");
    }

    public static async Task<CheckOutcome> ColumnsAsync(SecurityContext context)
    {
        var findings = new List<string>();
        var binary = await context.StringsAsync("""
            SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition -- a partition's columns are its table's
              AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'bytea'::regtype ORDER BY 1
            """);
        findings.AddRange(binary.Where(b => !NotEncrypted.Contains(b) && !Encrypted.Any(e => $"{e.Table}.{e.Column}" == b))
            .Select(b => $"{b} is a binary column neither encrypted nor declared a hash (classify it in EncryptionChecks)"));

        var present = Encrypted.Where(e => binary.Contains($"{e.Table}.{e.Column}")).ToList();
        if (present.Count == 0)
        {
            return CheckOutcome.From(findings, "no encrypted column at this phase");
        }

        if (context.Encryptor is null)
        {
            findings.Add("no key provider is configured, so no encrypted value could be opened");
            return CheckOutcome.From(findings, "");
        }

        var sampled = new List<string>();
        foreach (var column in present)
        {
            var rows = await context.QueryAsync(
                $"SELECT {column.RowId}, {column.FirmId}, {column.Column} FROM {column.Table} WHERE {column.Column} IS NOT NULL ORDER BY random() LIMIT {SampleSize}",
                r => new Sample(r.GetGuid(0), r.GetGuid(1), r.GetFieldValue<byte[]>(2)));
            sampled.Add($"{column.Table}.{column.Column} ({rows.Count})");
            for (var i = 0; i < rows.Count; i++)
            {
                // Another row's binding: the next sampled row, or the same firm with another row id when there is one row.
                var other = rows.Count > 1 ? rows[(i + 1) % rows.Count] : rows[i] with { RowId = Guid.NewGuid() };
                if (await ProblemAsync(context, column, rows[i], other) is { } problem)
                {
                    findings.Add($"{column.Table}.{column.Column} row {rows[i].RowId}: {problem}");
                }
            }
        }

        var bypass = await context.QueryAsync("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user", r => r.GetBoolean(0));
        var scope = bypass is [true] ? "" : " (the owner is subject to row-level security, so only rows visible to it were sampled)";
        return CheckOutcome.From(findings,
            $"sampled {string.Join(", ", sampled)}: each a version-{FieldEncryptor.FormatVersion} envelope that opens with its own binding and not with another row's{scope}");
    }

    private static async Task<string?> ProblemAsync(SecurityContext context, EncryptedColumn column, Sample sample, Sample other)
    {
        try
        {
            var plaintext = await context.Encryptor!.DecryptAsync(sample.FirmId, column.Table, column.Column, sample.RowId, sample.Value, context.CancellationToken);
            CryptographicOperations.ZeroMemory(plaintext);
        }
        catch (FieldDecryptionException ex) when (ex.Reason is FieldDecryptionFailure.Malformed or FieldDecryptionFailure.UnsupportedVersion)
        {
            return $"not a version-{FieldEncryptor.FormatVersion} envelope (plaintext or foreign bytes?): {ex.Message}";
        }
        catch (FieldDecryptionException ex)
        {
            return $"does not open with its own binding: {ex.Message}";
        }

        try
        {
            var opened = await context.Encryptor.DecryptAsync(other.FirmId, column.Table, column.Column, other.RowId, sample.Value, context.CancellationToken);
            CryptographicOperations.ZeroMemory(opened);
            return $"also opens as row {other.RowId} of firm {other.FirmId}: the value is not bound to its row";
        }
        catch (FieldDecryptionException)
        {
            return null;
        }
    }

    private sealed record EncryptedColumn(string Table, string Column, string RowId, string FirmId);

    private sealed record Sample(Guid RowId, Guid FirmId, byte[] Value);
}
