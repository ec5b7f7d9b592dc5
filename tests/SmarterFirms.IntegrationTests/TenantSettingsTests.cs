using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;
using SmarterFirms.Data.Tenancy;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// How the tenant reaches Postgres through EF (Data/Tenancy/TenantSettingsInterceptor; the access check sends its own, see
// HotPathTests): in the same batch as a statement
// outside a transaction, once at the start of a transaction, and never anywhere it was not asked for.
public sealed class TenantSettingsTests(AppHostFixture fixture)
{
    private static readonly Guid HarborVale = Guid.Parse("5eed0001-0000-4000-8000-000000000001");
    private static readonly Guid HarborValeAdmin = Guid.Parse("5eed0002-0000-4000-8000-000000000002");
    private static readonly Guid Avery = Guid.Parse("5eed0003-0000-4000-8000-000000000001");

    private sealed class FixedTenant(TenantContext tenant) : ITenantContextAccessor
    {
        public TenantContext? Current => tenant;
    }

    // The data layer alone, as the API wires it, with every statement captured as a trace span.
    private async Task<(IHost Host, TenantContext Tenant, List<Activity> Spans)> StartDataLayerAsync(string? connectionString = null)
    {
        var spans = new List<Activity>();
        var tenant = new TenantContext();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:authdb"] = connectionString ?? fixture.AppConnectionString;
        builder.AddServiceDefaults();
        builder.AddAuthDbContext();
        builder.Services.AddSingleton<ITenantContextAccessor>(new FixedTenant(tenant));
        builder.Services.AddSingleton<TenantSettingsInterceptor>();
        builder.Services.ConfigureDbContext<AuthDbContext>((services, options) => options.AddInterceptors(services.GetRequiredService<TenantSettingsInterceptor>()));
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return (host, tenant, spans);
    }

    // Npgsql's spans are process-wide: keep the ones this test's DbContext made (EF aliases its tables; the
    // interceptor names its parameters), not those of tests running beside it.
    private static List<string> Statements(IHost host, List<Activity> spans)
    {
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        var statements = spans.Where(s => s.Source.Name == "Npgsql")
            .Select(s => (s.GetTagItem("db.query.text") ?? s.GetTagItem("db.statement"))?.ToString() ?? "")
            .Where(s => s.Contains("@__app_user_id", StringComparison.Ordinal)
                || s.Contains("FROM firm_consultant_associations AS f", StringComparison.Ordinal)
                || s.Contains("INSERT INTO auth_logs", StringComparison.Ordinal))
            .ToList();
        spans.Clear();
        return statements;
    }

    [Fact]
    public async Task AQueryOutsideATransactionCarriesTheSettingsInItsOwnBatchAndOnlyWhileATenantIsSet()
    {
        var (host, tenant, spans) = await StartDataLayerAsync();
        using var _ = host;
        var ct = TestContext.Current.CancellationToken;
        var harborVale = await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{HarborVale}'");
        var avery = await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE consultant_id = '{Avery}'");

        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        Statements(host, spans);
        tenant.UserId = HarborValeAdmin;
        tenant.FirmId = HarborVale;
        var asAdmin = await db.FirmConsultantAssociations.CountAsync(ct);
        var adminStatements = Statements(host, spans);
        // A scalar command answers its own first column, not the prefix's.
        var scalar = await db.GetService<IRelationalCommandBuilderFactory>().Create()
            .Append("SELECT count(*) FROM firm_consultant_associations AS f").Build()
            .ExecuteScalarAsync(new RelationalCommandParameterObject(db.GetService<IRelationalConnection>(), null, null, db, db.GetService<Microsoft.EntityFrameworkCore.Diagnostics.IRelationalCommandDiagnosticsLogger>()), ct);
        Statements(host, spans);
        tenant.UserId = Avery;
        tenant.FirmId = null;
        var asAvery = await db.FirmConsultantAssociations.CountAsync(ct);
        tenant.UserId = null;
        var asNobody = await db.FirmConsultantAssociations.CountAsync(ct);
        var nobodyStatements = Statements(host, spans);

        Assert.Equal((harborVale, harborVale, avery, 0), ((long)asAdmin, (long)scalar!, (long)asAvery, asNobody));
        var statement = Assert.Single(adminStatements);
        Assert.StartsWith("SELECT set_config('app.user_id', @__app_user_id, true), set_config('app.firm_id', @__app_firm_id, true);", statement, StringComparison.Ordinal);
        Assert.Contains("FROM firm_consultant_associations", statement, StringComparison.Ordinal);
        Assert.DoesNotContain("set_config", nobodyStatements[^1], StringComparison.Ordinal);
    }

    // The firm trail page's planner setting (AuditLogApi, TenantSettingsInterceptor.OrderedScanTag) rides in the tenant's
    // statement of the tagged query's batch and ends with it: the next query on the same connection plans as usual.
    [Fact]
    public async Task AQueryTaggedForAnOrderedScanPlansWithoutBitmapScansInItsOwnBatchOnly()
    {
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(fixture.AppConnectionString) { MaxPoolSize = 1 };
        var (host, tenant, spans) = await StartDataLayerAsync(connection.ConnectionString);
        using var _ = host;
        var ct = TestContext.Current.CancellationToken;
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        tenant.UserId = HarborValeAdmin;
        tenant.FirmId = HarborVale;
        Task<object?> ScalarAsync(string sql) => db.GetService<IRelationalCommandBuilderFactory>().Create().Append(sql).Build()
            .ExecuteScalarAsync(new RelationalCommandParameterObject(db.GetService<IRelationalConnection>(), null, null, db, db.GetService<Microsoft.EntityFrameworkCore.Diagnostics.IRelationalCommandDiagnosticsLogger>()), ct);

        var tagged = await ScalarAsync($"-- {TenantSettingsInterceptor.OrderedScanTag}\nSELECT current_setting('enable_bitmapscan')");
        var next = await ScalarAsync("SELECT current_setting('enable_bitmapscan')");
        Statements(host, spans);
        var page = await db.AuthLogs.TagWith(TenantSettingsInterceptor.OrderedScanTag).Where(l => l.FirmId == HarborVale)
            .OrderByDescending(l => l.OccurredAt).ThenByDescending(l => l.Id).Take(5).Select(l => l.Id).ToListAsync(ct);
        var plain = await db.AuthLogs.Where(l => l.FirmId == HarborVale)
            .OrderByDescending(l => l.OccurredAt).ThenByDescending(l => l.Id).Take(5).Select(l => l.Id).ToListAsync(ct);
        var statements = Statements(host, spans);

        Assert.Equal(("off", "on"), (tagged, next));
        Assert.NotEmpty(plain);
        Assert.Equal(plain, page);
        Assert.Equal(2, statements.Count);
        Assert.StartsWith("SELECT set_config('app.user_id', @__app_user_id, true), set_config('app.firm_id', @__app_firm_id, true), set_config('enable_bitmapscan', 'off', true);", statements[0], StringComparison.Ordinal);
        Assert.DoesNotContain("enable_bitmapscan", statements[1], StringComparison.Ordinal);
    }

    // The API's pool skips the reset on return (HttpApiExtensions.AddApiDatabase): safe only because every setting
    // is transaction-local. One physical connection here, so the second query runs where the first one set them.
    [Fact]
    public async Task WithoutThePoolsResetAPooledConnectionCarriesNoTenantIntoItsNextUse()
    {
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(fixture.AppConnectionString) { NoResetOnClose = true, MaxPoolSize = 1 };
        var (host, tenant, _) = await StartDataLayerAsync(connection.ConnectionString);
        using var _ = host;
        var ct = TestContext.Current.CancellationToken;

        await using (var scope = host.Services.CreateAsyncScope())
        {
            tenant.UserId = HarborValeAdmin;
            tenant.FirmId = HarborVale;
            Assert.True(await scope.ServiceProvider.GetRequiredService<AuthDbContext>().FirmConsultantAssociations.AnyAsync(ct));
        }

        tenant.UserId = null;
        tenant.FirmId = null;
        await using var next = host.Services.CreateAsyncScope();
        var db = next.ServiceProvider.GetRequiredService<AuthDbContext>();
        var settings = await db.Database.SqlQueryRaw<string>(
            "SELECT coalesce(current_setting('app.user_id', true), '') || '|' || coalesce(current_setting('app.firm_id', true), '') AS \"Value\"").SingleAsync(ct);

        Assert.Equal("|", settings);
        Assert.False(await db.FirmConsultantAssociations.AnyAsync(ct));
    }

    [Fact]
    public async Task ATransactionGetsTheSettingsOnceAtItsStartAndAgainOnlyWhenTheTenantChanges()
    {
        var (host, tenant, spans) = await StartDataLayerAsync();
        using var _ = host;
        var ct = TestContext.Current.CancellationToken;
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        tenant.UserId = HarborValeAdmin;
        tenant.FirmId = HarborVale;

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var visible = await db.FirmConsultantAssociations.CountAsync(a => a.ConsultantId != Avery, ct);
            db.AuthLogs.Add(new AuthLog
            {
                Id = Guid.CreateVersion7(), EventType = AuthEventType.AccessDenied, UserId = HarborValeAdmin, FirmId = HarborVale,
                UserAgent = "tenant-settings-rolled-back", OccurredAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(ct);
            tenant.UserId = Avery;
            tenant.FirmId = null;
            var asAvery = await db.FirmConsultantAssociations.CountAsync(a => a.ConsultantId != Avery, ct);
            await transaction.RollbackAsync(ct);
            Assert.True(visible > 0);
            Assert.Equal(0, asAvery);
        }

        var statements = Statements(host, spans);
        Assert.Equal(2, statements.Count(s => s.Contains("set_config", StringComparison.Ordinal)));
        Assert.All(statements.Where(s => s.Contains("auth_logs", StringComparison.Ordinal) || s.Contains("firm_consultant_associations", StringComparison.Ordinal)),
            s => Assert.DoesNotContain("set_config", s, StringComparison.Ordinal));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, "SELECT count(*) FROM auth_logs WHERE user_agent = 'tenant-settings-rolled-back'"));
    }

    [Fact]
    public async Task SaveChangesAlwaysRunsInATransactionSoItsWritesGetTheSettings()
    {
        var (host, tenant, spans) = await StartDataLayerAsync();
        using var _ = host;
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        tenant.UserId = HarborValeAdmin;
        tenant.FirmId = HarborVale;
        var id = Guid.CreateVersion7();

        db.AuthLogs.Add(new AuthLog
        {
            Id = id, EventType = AuthEventType.AccessDenied, UserId = HarborValeAdmin, FirmId = HarborVale, UserAgent = "tenant-settings-test",
            OccurredAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken); // an INSERT for HarborVale passes its RLS check

        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM auth_logs WHERE id = '{id}'"));
        Assert.Single(Statements(host, spans), s => s.Contains("set_config", StringComparison.Ordinal));
    }
}
