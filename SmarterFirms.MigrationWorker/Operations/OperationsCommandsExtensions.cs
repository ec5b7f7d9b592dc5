using SmarterFirms.MigrationWorker.HotStatements;
using SmarterFirms.MigrationWorker.QueryReview;
using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.MigrationWorker.Operations;

// The cockpit's commands (backup, seed-volume, top-queries, check-indexes): their services in one registration.
internal static class OperationsCommandsExtensions
{
    public static IServiceCollection AddOperationsCommands(this IServiceCollection services)
    {
        services.AddOptions<VolumeOptions>().BindConfiguration("Volume").ValidateDataAnnotations();
        services.AddScoped<BackupNowCommand>();
        services.AddScoped<VolumeSeeder>();
        services.AddScoped<TopQueriesCommand>();
        services.AddScoped<CheckIndexesCommand>();
        return services;
    }
}
