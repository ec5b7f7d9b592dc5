using SmarterFirms.MigrationWorker.Rehearsal;

namespace SmarterFirms.MigrationWorker.Rollout;

internal static class RolloutRegistration
{
    // Lock-safe phases, rollback triggers, the run record, archives, restore and rehearsal (issue 13).
    public static IHostApplicationBuilder AddRollout(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<LockSafePhases>();
        builder.Services.AddScoped<Archives>();
        builder.Services.AddScoped<BackupRestore>();
        builder.Services.AddScoped<VolumeRehearsal>();
        builder.Services.AddSingleton<MigrationRuns>();
        builder.Services.AddScoped<IHotStatementChecks, CatalogHotStatementChecks>();
        return builder;
    }
}
