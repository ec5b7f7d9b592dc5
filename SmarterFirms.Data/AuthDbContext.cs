using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data;

// Migrations live in SmarterFirms.MigrationWorker, one per phase:
//   dotnet ef migrations add <phase_name> --project SmarterFirms.MigrationWorker
public class AuthDbContext : DbContext
{
    public AuthDbContext(DbContextOptions<AuthDbContext> options)
        : base(options)
    {
        // Every SaveChanges runs in a transaction, even for one statement: the row-level security settings
        // ride on it (Tenancy/TenantSettingsInterceptor), and audit rows commit with their change.
        Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
    }

    public DbSet<Firm> Firms => Set<Firm>();

    public DbSet<User> Users => Set<User>();

    public DbSet<ConsultantProfile> ConsultantProfiles => Set<ConsultantProfile>();

    public DbSet<FirmConsultantAssociation> FirmConsultantAssociations => Set<FirmConsultantAssociation>();

    public DbSet<ConsultantPermission> ConsultantPermissions => Set<ConsultantPermission>();

    public DbSet<AuthLog> AuthLogs => Set<AuthLog>();
    public DbSet<AuthLogSeal> AuthLogSeals => Set<AuthLogSeal>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<ClioConnection> ClioConnections => Set<ClioConnection>();
    public DbSet<ClioAuthorizationRequest> ClioAuthorizationRequests => Set<ClioAuthorizationRequest>();
    public DbSet<ClioSignInCode> ClioSignInCodes => Set<ClioSignInCode>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("citext");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AuthDbContext).Assembly);
    }
}
