using OpenTelemetry;
using Microsoft.Extensions.Options;
using Microsoft.FeatureManagement;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Leadership;

namespace SmarterFirms.AuthApi.Audit;

// The sealer: exactly one replica seals (leader by advisory lock; another takes over within a retry interval when
// it dies), every Audit:SealInterval, as the sealer's own role, which can append seals but never change an event.
internal sealed class AuditSealingService(
    IConfiguration configuration,
    IOptions<AuditOptions> options,
    ICheckpointSigner signer,
    IFeatureManager features,
    TimeProvider time,
    ILogger<AuditSealingService> logger) : BackgroundService
{
    public const long LeaderLockKey = 0x5346_4155_4449_5400;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = SealerConnectionString(configuration);
        if (connectionString is null)
        {
            logger.LogWarning("Audit:SealerPassword is not set: this replica does not seal the audit trail");
            return;
        }

        var leader = new AdvisoryLockLeader(connectionString, LeaderLockKey, "audit-sealer", logger, time);
        var sealer = new AuditSealer(signer, options.Value, logger, time);
        await leader.RunAsync(async leading =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(leading);
            while (!leading.IsCancellationRequested)
            {
                if (await features.IsEnabledAsync(AuditApi.Feature))
                {
                    try
                    {
                        // Untraced: a pass every SealInterval would bury the requests in the dashboard's trace list.
                        using var untraced = SuppressInstrumentationScope.Begin();
                        await sealer.SealAsync(connection, leading);
                    }
                    catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
                    {
                        // Another writer (`audit seal`, `audit purge`) appended first; the next pass reads the new heads.
                        logger.LogInformation("Audit seal pass lost a race with another writer; retrying next interval");
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException && connection.FullState == System.Data.ConnectionState.Open)
                    {
                        // A failed pass keeps leadership and the slices it committed; the next pass resumes after them.
                        logger.LogError(ex, "Audit seal pass failed; retrying next interval");
                    }
                }

                await Task.Delay(options.Value.SealInterval, time, leading);
            }
        }, stoppingToken);
    }

    // The API's own connection string with the sealer's role and password (Audit:SealerPassword).
    public static string? SealerConnectionString(IConfiguration configuration)
    {
        var password = configuration["Audit:SealerPassword"];
        var connectionString = configuration.GetConnectionString(AuthDatabase.ConnectionName);
        return string.IsNullOrEmpty(password) || string.IsNullOrEmpty(connectionString)
            ? null
            : new NpgsqlConnectionStringBuilder(connectionString)
            {
                Username = "smarterfirms_sealer",
                Password = password,
                ApplicationName = "audit-sealer",
                Pooling = false,
            }.ConnectionString;
    }
}
