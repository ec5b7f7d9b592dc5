using SmarterFirms.Data.Audit;

namespace SmarterFirms.MigrationWorker.Audit;

internal static class AuditCommandsExtensions
{
    // `audit verify|maintain|purge|seal` and what every migrate runs after the phases (sealer login, partitions).
    public static IHostApplicationBuilder AddAuditCommands(this IHostApplicationBuilder builder)
    {
        builder.AddAuditSigning();
        builder.Services.AddSingleton<AuditPartitions>();
        builder.Services.AddSingleton<SealerRoleLogin>();
        builder.Services.AddScoped<AuditCommands>();
        builder.Services.AddScoped<AuditPurge>();
        return builder;
    }
}
