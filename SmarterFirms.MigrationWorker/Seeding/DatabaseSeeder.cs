using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.MigrationWorker.Seeding;

internal sealed class SeedOptions
{
    // Local sign-in password of every seeded consultant; the AppHost passes a generated secret parameter.
    public string? ConsultantPassword { get; set; }
}

internal sealed class DatabaseSeeder(AuthDbContext db, IOptions<SeedOptions> options, TimeProvider time, ILogger<DatabaseSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var firms = await AddMissingAsync(db.Firms, SeedData.Firms(), f => f.Id, cancellationToken);
        var users = await AddMissingAsync(db.Users, SeedData.LawFirmUsers(), u => u.Id, cancellationToken);
        var consultants = await AddMissingAsync(db.Users, SeedData.Consultants(), u => u.Id, cancellationToken);
        HashPasswords(consultants);
        var profiles = await AddMissingAsync(db.ConsultantProfiles, SeedData.Profiles(), p => p.Id, cancellationToken);
        var associations = await AddMissingAsync(db.FirmConsultantAssociations, SeedData.Associations(now), a => a.Id, cancellationToken);
        var permissions = await AddMissingAsync(db.ConsultantPermissions, SeedData.Permissions(now), p => p.Id, cancellationToken);
        var logs = await AddMissingAsync(db.AuthLogs, SeedData.AuthLogs(now), l => l.Id, cancellationToken);

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        logger.LogInformation(
            "Seeding added {Firms} firms, {Users} law-firm users, {Consultants} consultants, {Profiles} profiles, " +
            "{Associations} associations, {Permissions} permissions, {AuthLogs} auth log events",
            firms.Count, users.Count, consultants.Count, profiles.Count, associations.Count, permissions.Count, logs.Count);
    }

    private void HashPasswords(IReadOnlyList<User> consultants)
    {
        if (consultants.Count == 0)
        {
            return;
        }

        var password = options.Value.ConsultantPassword;
        if (string.IsNullOrEmpty(password))
        {
            logger.LogWarning(
                "Seed:ConsultantPassword is not set: seeded consultants get random passwords nobody knows. " +
                "Run through the AppHost (it passes the seed-consultant-password parameter) to sign in as them.");
            password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        }

        var hasher = PasswordHashing.CreateHasher();
        foreach (var consultant in consultants)
        {
            consultant.PasswordHash = hasher.HashPassword(consultant, password);
        }
    }

    private static async Task<IReadOnlyList<T>> AddMissingAsync<T>(
        DbSet<T> set, IReadOnlyList<T> rows, Func<T, Guid> key, CancellationToken cancellationToken) where T : class
    {
        var ids = rows.Select(key).ToList();
        var existing = await set.Where(e => ids.Contains(EF.Property<Guid>(e, "Id")))
            .Select(e => EF.Property<Guid>(e, "Id"))
            .ToListAsync(cancellationToken);
        var missing = rows.Where(r => !existing.Contains(key(r))).ToList();
        set.AddRange(missing);
        return missing;
    }
}
