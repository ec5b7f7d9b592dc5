using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.MigrationWorker.Audit;

// The worker's audit commands. verify needs only public keys; seal (and purge --apply) sign with the checkpoint key.
internal sealed class AuditCommands(
    IConfiguration configuration,
    IServiceProvider services,
    IOptions<AuditOptions> options,
    AuditPartitions partitions,
    SealerRoleLogin sealerLogin,
    TimeProvider time,
    ILogger<AuditCommands> logger)
{
    public const int Tampered = 3;

    // What every migrate also does once the schema is in place: the sealer's login and the months ahead.
    public async Task AfterMigrateAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        await sealerLogin.EnableAsync(db, cancellationToken);
        await partitions.MaintainAsync(cancellationToken);
    }

    public async Task<int> MaintainAsync(CancellationToken cancellationToken)
    {
        await partitions.MaintainAsync(cancellationToken);
        return MigrationRunner.Done;
    }

    public async Task<int> SealAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var sealer = new AuditSealer(services.GetRequiredService<ICheckpointSigner>(), options.Value, logger, time);
        var pass = await sealer.SealAsync(connection, cancellationToken);
        logger.LogInformation("Sealed {Rows} rows in {Seals} seals up to {Horizon:O}", pass.Rows, pass.Seals, pass.Horizon);
        return MigrationRunner.Done;
    }

    public async Task<int> VerifyAsync(string? firm, string? since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var verifier = new ChainVerifier(await KeyRingAsync(cancellationToken), options.Value);
        var result = await verifier.VerifyAsync(connection, firm is null ? null : Guid.Parse(firm), since, time.GetUtcNow(), cancellationToken);
        foreach (var finding in result.Findings)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(finding, JsonSerializerOptions.Web));
        }

        logger.LogInformation("Audit verification: {Chains} chains, {Seals} seals, {Rows} rows, {Findings} findings",
            result.Chains, result.Seals, result.Rows, result.Findings.Count);
        return result.Intact ? MigrationRunner.Done : Tampered;
    }

    // The public half of the configured key (if any) and every retired key: verification needs nothing more.
    private async Task<CheckpointKeyRing> KeyRingAsync(CancellationToken cancellationToken)
    {
        var hasSigner = !string.IsNullOrWhiteSpace(options.Value.CheckpointKey) || options.Value.Signer.Equals("AwsKms", StringComparison.OrdinalIgnoreCase);
        if (hasSigner)
        {
            return await AuditSigningExtensions.CreateKeyRingAsync(services.GetRequiredService<ICheckpointSigner>(), options.Value, cancellationToken);
        }

        return new CheckpointKeyRing(options.Value.PreviousPublicKeys.Select(text =>
        {
            using var key = LocalCheckpointSigner.Load(text);
            return CheckpointKey.From(key);
        }).ToList());
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
