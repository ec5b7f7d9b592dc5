using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace SmarterFirms.AuthApi.Http;

public static class DatabaseErrors
{
    // A concurrent or repeated insert lost to a unique index: a 409 for the caller, never a 500.
    public static bool IsUniqueViolation(this DbUpdateException exception, string? index = null) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } postgres
        && (index is null || postgres.ConstraintName == index);
}
