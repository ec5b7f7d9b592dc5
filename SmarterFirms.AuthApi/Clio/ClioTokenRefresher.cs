using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;
using SmarterFirms.Data.Leadership;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Clio;

// Keeps every stored Clio connection usable: Clio:RefreshAhead before an access token expires, the replica that
// leads (one per deployment, by advisory lock) renews it with the refresh token, storing Clio's rotated pair
// encrypted like the first. A refresh Clio refuses with invalid_grant (the user revoked the app in Clio) ends the
// link; anything else (Clio down, our client refused) is counted and tried again on the next pass.
internal sealed class ClioTokenRefresher(
    IServiceScopeFactory scopes, IOptions<ClioOptions> options, IConfiguration configuration, ClioRefreshMetrics metrics,
    TimeProvider time, ILogger<ClioTokenRefresher> logger) : BackgroundService
{
    private const long LockKey = 0x5F_A7_4D_B0_C1;
    private const int PageSize = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsConfigured)
        {
            return Task.CompletedTask;
        }

        var leader = new AdvisoryLockLeader(
            configuration.GetConnectionString(AuthDatabase.ConnectionName)!, LockKey, "Clio token refresher", logger, time);
        return leader.RunAsync(LeadAsync, stoppingToken);
    }

    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            try
            {
                await RefreshDueAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Clio token refresher: the pass failed; trying again in {Interval}", options.Value.RefreshInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public async Task RefreshDueAsync(CancellationToken cancellationToken)
    {
        var dueBefore = time.GetUtcNow() + options.Value.RefreshAhead;
        List<(Guid UserId, Guid FirmId)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            due = await FindDueAsync(scope.ServiceProvider.GetRequiredService<AuthDbContext>(), dueBefore, cancellationToken);
        }

        foreach (var (userId, firmId) in due)
        {
            await RefreshAsync(userId, firmId, cancellationToken);
        }
    }

    // Row-level security shows a connection only to its own user and firm, so the due list is read user by user:
    // one batch per page of users (each lookup after its own set_config) keeps that to a round trip per page.
    private static async Task<List<(Guid UserId, Guid FirmId)>> FindDueAsync(AuthDbContext db, DateTimeOffset dueBefore, CancellationToken cancellationToken)
    {
        var linked = await db.Users.AsNoTracking().Where(u => u.HasClioConnection && u.FirmId != null)
            .Select(u => new { u.Id, FirmId = u.FirmId!.Value }).ToListAsync(cancellationToken);
        var firms = linked.ToDictionary(u => u.Id, u => u.FirmId);
        var due = new List<(Guid, Guid)>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            foreach (var page in linked.Chunk(PageSize))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using var batch = new NpgsqlBatch(connection, transaction);
                foreach (var user in page)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(
                        $"SELECT set_config('{TenantSettings.UserId}', $1, true), set_config('{TenantSettings.FirmId}', $2, true)")
                    {
                        Parameters = { new() { Value = user.Id.ToString("D") }, new() { Value = user.FirmId.ToString("D") } },
                    });
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(
                        "SELECT user_id FROM clio_connections WHERE user_id = $1 AND refresh_token IS NOT NULL AND access_token_expires_at <= $2")
                    {
                        Parameters = { new() { Value = user.Id }, new() { Value = dueBefore } },
                    });
                }

                await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
                {
                    do
                    {
                        while (await reader.ReadAsync(cancellationToken))
                        {
                            if (reader.FieldCount == 1)
                            {
                                var userId = reader.GetGuid(0);
                                due.Add((userId, firms[userId]));
                            }
                        }
                    }
                    while (await reader.NextResultAsync(cancellationToken));
                }

                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return due;
    }

    private async Task RefreshAsync(Guid userId, Guid firmId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<AuthDbContext>();
        var encryptor = services.GetRequiredService<FieldEncryptor>();
        var settings = options.Value;

        // No request, so no TenantContext: the transaction is given this user's settings itself.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"SELECT set_config({TenantSettings.UserId}, {userId.ToString("D")}, true), set_config({TenantSettings.FirmId}, {firmId.ToString("D")}, true)",
            cancellationToken);
        var now = time.GetUtcNow();
        if (await ClioConnections.LockAsync(db, userId, cancellationToken) is not { RefreshToken: { } sealedRefresh } connection
            || connection.AccessTokenExpiresAt > now + settings.RefreshAhead)
        {
            return; // renewed by a sign-in, or ended, since the pass looked
        }

        if (settings.RegionBase(connection.Region) is not { } regionBase)
        {
            metrics.Failed("unknown_region");
            logger.LogWarning("Clio token refresher: user {UserId}'s connection names region {Region}, which is not configured", userId, connection.Region);
            return;
        }

        ClioTokens tokens;
        try
        {
            var refreshToken = await ClioConnections.OpenAsync(encryptor, connection, "refresh_token", sealedRefresh, cancellationToken);
            tokens = await services.GetRequiredService<ClioClient>().RefreshAsync(regionBase, refreshToken, cancellationToken);
        }
        catch (ClioException e) when (e is { Failure: ClioFailure.Refused, ErrorCode: "invalid_grant" })
        {
            await ClioConnections.EndAsync(db, services.GetRequiredService<AuditTrail>(), connection, null, "refresh_refused", now, cancellationToken,
                clioError: e.ErrorCode);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            metrics.Disconnected();
            logger.LogWarning("Clio token refresher: Clio refused user {UserId}'s refresh token (invalid_grant); the connection is ended", userId);
            return;
        }
        catch (Exception e) when (e is ClioException or FieldDecryptionException)
        {
            metrics.Failed(e is ClioException { Failure: ClioFailure.Unreachable } ? "unreachable" : "refused");
            logger.LogWarning("Clio token refresher: user {UserId}'s refresh failed ({Error}); trying again on the next pass", userId, e.Message);
            return;
        }

        await ClioConnections.StoreAsync(encryptor, connection, tokens, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.Refreshed();
        logger.LogInformation("Clio token refresher: renewed user {UserId}'s Clio tokens (valid until {ExpiresAt})", userId, connection.AccessTokenExpiresAt);
    }
}

// Refresh outcomes for the dashboard: smarterfirms.clio.token_refreshes by outcome (refreshed, disconnected, failed)
// and, for failures, reason.
internal sealed class ClioRefreshMetrics(IMeterFactory meters, IHostEnvironment environment)
{
    public const string InstrumentName = "smarterfirms.clio.token_refreshes";

    private readonly Counter<long> _refreshes = meters.Create(environment.ApplicationName).CreateCounter<long>(
        InstrumentName, unit: "{refresh}", description: "Clio access-token refreshes by outcome.");

    public void Refreshed() => _refreshes.Add(1, new KeyValuePair<string, object?>("outcome", "refreshed"));

    public void Disconnected() => _refreshes.Add(1, new KeyValuePair<string, object?>("outcome", "disconnected"));

    public void Failed(string reason) =>
        _refreshes.Add(1, new KeyValuePair<string, object?>("outcome", "failed"), new KeyValuePair<string, object?>("reason", reason));
}
