using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;
using SmarterFirms.MigrationWorker;
using SmarterFirms.MigrationWorker.Audit;
using SmarterFirms.MigrationWorker.Operations;
using SmarterFirms.MigrationWorker.Rollout;
using SmarterFirms.MigrationWorker.Security;
using SmarterFirms.MigrationWorker.Seeding;

if (!WorkerCommand.TryParse(args, out var command, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(WorkerCommand.Usage);
    return WorkerCommand.UsageExitCode;
}

// The command line is the worker's own; configuration comes from the environment (ConnectionStrings__authdb),
// appsettings and user secrets.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });

// Logs go to stderr so that `status` and `script` print clean output on stdout.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(AuthDatabase.ConnectionName)))
{
    Console.Error.WriteLine($"ConnectionStrings:{AuthDatabase.ConnectionName} is not set (environment variable ConnectionStrings__{AuthDatabase.ConnectionName}).");
    return 1;
}

builder.AddServiceDefaults();
// Named per process, so `restore` can tell this worker's own sessions from the API's. The client waits as long as the
// server's statement_timeout lets a phase statement run (an index built CONCURRENTLY on millions of rows takes minutes),
// so the server's limit is the one that decides, and its error is the one the rollback names.
var commandTimeout = (builder.Configuration.GetSection(RolloutOptions.Section).Get<RolloutOptions>() ?? new()).ClientCommandTimeout;
builder.AddAuthDbContext(c =>
{
    c.ApplicationName = DatabaseBackup.ApplicationName;
    c.CommandTimeout = (int)Math.Min(int.MaxValue / 1000, Math.Ceiling(commandTimeout.TotalSeconds));
});
builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSource(WorkerSteps.ActivitySourceName));
builder.Services.AddSingleton(command);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddOptions<SeedOptions>().BindConfiguration("Seed");
builder.Services.AddScoped<DatabaseSeeder>();
builder.Services.AddSingleton<DatabaseBackup>();
builder.Services.AddSingleton<WorkerLock>();
builder.Services.AddSingleton<AppRoleLogin>();
builder.Services.AddScoped<WorkerSteps>();
builder.Services.AddScoped<PhaseMigrator>();
builder.AddRollout();
builder.Services.AddOperationsCommands();
builder.Services.AddScoped<SecurityCheck>();

// The security check opens a sample of every encrypted column with the API's key provider. Without its settings
// the worker still runs, and the check fails saying what to configure.
if (builder.Configuration["Encryption:Provider"] is { Length: > 0 } || builder.Configuration["Encryption:Local:MasterKey"] is { Length: > 0 })
{
    builder.AddFieldEncryption();
}

builder.AddAuditCommands();
builder.Services.AddHostedService<MigrationRunner>();

await builder.Build().RunAsync();
return Environment.ExitCode;
