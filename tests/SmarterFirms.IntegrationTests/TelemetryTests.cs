using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using SmarterFirms.Data;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The services' telemetry pipeline (ServiceDefaults + the data registration both services use), with an
// in-memory exporter beside the OTLP one that feeds the dashboard.
public sealed class TelemetryTests(AppHostFixture fixture)
{
    [Fact]
    public async Task EveryDatabaseCommandOfTheServicesIsATraceSpanWithItsStatement()
    {
        var spans = new List<Activity>();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:authdb"] = fixture.AppConnectionString;
        builder.AddServiceDefaults();
        builder.AddAuthDbContext();
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            await db.Firms.CountAsync(TestContext.Current.CancellationToken);
            await db.ConsultantProfiles.Where(p => p.ReferralCode == "NONE").ToListAsync(TestContext.Current.CancellationToken);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_sleep(0)", TestContext.Current.CancellationToken);
        }

        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync(TestContext.Current.CancellationToken);

        var statements = spans
            .Where(s => s.Source.Name == "Npgsql")
            .Select(s => (s.GetTagItem("db.query.text") ?? s.GetTagItem("db.statement"))?.ToString() ?? "")
            .ToList();
        Assert.Contains(statements, s => s.Contains("FROM firms", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("FROM consultant_profiles", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("pg_sleep", StringComparison.Ordinal));
    }
}
