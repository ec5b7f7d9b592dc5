using System.ComponentModel.DataAnnotations;
using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;
using Microsoft.FeatureManagement;
using SmarterFirms.AuthApi.Extensions;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Auth;

public sealed record RegisterRequest(
    [Required, MaxLength(320)] string Email,
    [Required, MaxLength(4096)] string Password,
    [Required, MaxLength(200)] string Name,
    [MaxLength(200)] string? Organization,
    [MaxLength(4000), MultiLine] string? Bio);

public sealed record LoginRequest([Required, MaxLength(320)] string Email, [Required, MaxLength(4096)] string Password);

public sealed record RefreshRequest([Required, MaxLength(200)] string RefreshToken);

public sealed record ChangePasswordRequest([Required, MaxLength(4096)] string CurrentPassword, [Required, MaxLength(4096)] string NewPassword);

public sealed record RegisteredUser(Guid Id, string Email, string Name, UserType Type, AuthMethod AuthMethod, string ReferralCode);

// Services, not input: the request validator must not walk into the DbContext (ASP0029: the attribute is
// marked for evaluation in .NET 10, and is the documented way to say so).
#pragma warning disable ASP0029
[SkipValidation]
#pragma warning restore ASP0029
public sealed record SignInServices(
    HttpContext Http, AuthDbContext Db, TokenService Tokens, AuditTrail Audit, PasswordHasher<User> Hasher,
    IFeatureManager Features, TimeProvider Time, IOptions<LockoutOptions> Lockout);

// Consultants' local accounts (law-firm users sign in through Clio instead): registration, sign-in with lockout, refresh rotation with
// reuse detection, sign-out and password change. Each change commits with its audit row.
public static class LocalAuthApi
{
    private static readonly User DummyUser = new() { Email = "", Name = "" };
    // Verified when the email is unknown, so an unknown email costs the same hash as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() =>
        PasswordHashing.CreateHasher().HashPassword(DummyUser, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));

    public static RouteGroupBuilder MapLocalAuthApi(this IEndpointRouteBuilder routes)
    {
        _ = DummyHash.Value;
        var group = routes.MapGroup("/auth").WithTags("Sign-in");

        group.MapPost("/register", RegisterAsync).RequireRateLimiting(RateLimitingExtensions.Registration)
            .WithSummary("Consultant sign-up: creates the account and an empty profile with a referral code.");
        group.MapPost("/login", LoginAsync).RequireRateLimiting(RateLimitingExtensions.SignIn)
            .WithSummary("Local sign-in for consultants.");
        group.MapPost("/refresh", RefreshAsync).RequireRateLimiting(RateLimitingExtensions.SignIn)
            .WithSummary("Rotate a refresh token; a reused one revokes its whole session.");
        group.MapPost("/logout", LogoutAsync).RequireAuthorization()
            .WithSummary("Revoke the current session; its access token is refused from the next request.");
        group.MapPost("/password", ChangePasswordAsync).RequireAuthorization()
            .WithSummary("Change a consultant's password; other sessions are signed out.");
        return group;
    }

    private static async Task<Results<Created<RegisteredUser>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, [AsParameters] SignInServices s, CancellationToken cancellationToken)
    {
        var email = Text.NormalizeEmail(request.Email);
        if (!await s.Features.IsOnAsync(Features.ConsultantSignIn, email))
        {
            return Features.Off(Features.ConsultantSignIn);
        }

        var errors = new Dictionary<string, string[]>();
        if (!IsEmail(email))
        {
            errors["email"] = ["Enter a valid email address."];
        }

        if (PasswordPolicy.Check(request.Password, email) is { } passwordProblem)
        {
            errors["password"] = [passwordProblem];
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors["name"] = ["Enter your name."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = s.Time.GetUtcNow();
        var user = new User
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            Name = request.Name.Trim(),
            Type = UserType.Consultant,
            AuthMethod = AuthMethod.Local,
            Organization = request.Organization.TrimToNull(),
            Bio = request.Bio.TrimToNull(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        user.PasswordHash = s.Hasher.HashPassword(user, request.Password);
        var profile = new ConsultantProfile
        {
            Id = Guid.CreateVersion7(),
            UserId = user.Id,
            ReferralCode = ReferralCodes.New(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        s.Db.Users.Add(user);
        s.Db.ConsultantProfiles.Add(profile);
        s.Audit.Record(AuthEventType.Registered, user.Id);
        try
        {
            await s.Db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation("ix_users_email"))
        {
            return Problems.Conflict("Email already registered", "An account with this email address already exists; sign in instead.");
        }

        return TypedResults.Created("/me", new RegisteredUser(user.Id, user.Email, user.Name, user.Type, user.AuthMethod, profile.ReferralCode));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, [AsParameters] SignInServices s, CancellationToken cancellationToken)
    {
        var email = Text.NormalizeEmail(request.Email);
        if (!await s.Features.IsOnAsync(Features.ConsultantSignIn, email))
        {
            return Features.Off(Features.ConsultantSignIn);
        }

        var candidate = email.Length > 0
            ? await s.Db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email, cancellationToken)
            : null;
        if (candidate is not { AuthMethod: AuthMethod.Local, PasswordHash: not null })
        {
            s.Hasher.VerifyHashedPassword(DummyUser, DummyHash.Value, request.Password);
            s.Audit.Record(AuthEventType.SignInFailed, candidate?.Id, candidate?.FirmId,
                details: new { reason = candidate is null ? "unknown_email" : "not_a_local_account" });
            await s.Db.SaveChangesAsync(cancellationToken);
            return InvalidCredentials();
        }

        // The hash is verified before the row is locked, so concurrent sign-ins never queue behind PBKDF2.
        var verification = s.Hasher.VerifyHashedPassword(candidate, candidate.PasswordHash, request.Password);

        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var user = await s.Db.Users.FromSql($"SELECT * FROM users WHERE id = {candidate.Id} FOR UPDATE").SingleAsync(cancellationToken);
        var now = s.Time.GetUtcNow();

        if (user.LockoutEnd is { } lockedUntil && lockedUntil > now)
        {
            s.Audit.Record(AuthEventType.SignInFailed, user.Id, details: new { reason = "locked_out", unlockAt = lockedUntil });
            await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
            return InvalidCredentials();
        }

        if (user.LockoutEnd is { } expired)
        {
            user.LockoutEnd = null;
            user.FailedSignInCount = 0;
            s.Audit.Record(AuthEventType.AccountUnlocked, user.Id, details: new { reason = "lockout_expired", lockedUntil = expired });
        }

        if (verification == PasswordVerificationResult.Failed || user.PasswordHash != candidate.PasswordHash)
        {
            user.FailedSignInCount++;
            s.Audit.Record(AuthEventType.SignInFailed, user.Id, details: new { reason = "wrong_password", failedAttempts = user.FailedSignInCount });
            if (user.FailedSignInCount >= s.Lockout.Value.MaxFailedAttempts)
            {
                user.LockoutEnd = now + s.Lockout.Value.Duration;
                s.Audit.Record(AuthEventType.AccountLocked, user.Id, details: new { failedAttempts = user.FailedSignInCount, unlockAt = user.LockoutEnd });
                user.FailedSignInCount = 0;
            }

            user.UpdatedAt = now;
            await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
            return InvalidCredentials();
        }

        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = s.Hasher.HashPassword(user, request.Password);
        }

        user.FailedSignInCount = 0;
        user.LastSignInAt = now;
        user.UpdatedAt = now;
        var tokens = s.Tokens.StartSession(user, s.Http);
        s.Audit.Record(AuthEventType.SignInSucceeded, user.Id, details: new { method = "password" });
        await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
        return TypedResults.Ok(tokens);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, [AsParameters] SignInServices s, CancellationToken cancellationToken)
    {
        var hash = TokenService.Hash(request.RefreshToken);
        var token = await s.Db.RefreshTokens.Include(t => t.Session!).ThenInclude(x => x.User)
            .SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token?.Session?.User is not { } user)
        {
            return InvalidRefreshToken();
        }

        var session = token.Session;
        var now = s.Time.GetUtcNow();
        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var claimed = token.UsedAt is null && await s.Db.RefreshTokens
            .Where(t => t.Id == token.Id && t.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.UsedAt, now), cancellationToken) == 1;
        if (!claimed)
        {
            // A used token presented again: whoever holds the family may be an attacker. End the session.
            if (session.RevokedAt is null)
            {
                session.RevokedAt = now;
                session.RevokedReason = "refresh_token_reuse";
            }

            s.Audit.Record(AuthEventType.TokenReuseDetected, user.Id, user.FirmId, details: new { sessionId = session.Id });
            await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
            return InvalidRefreshToken();
        }

        if (session.RevokedAt is not null || session.ExpiresAt <= now || token.ExpiresAt <= now)
        {
            return InvalidRefreshToken(); // the transaction rolls back: nothing changes
        }

        var tokens = s.Tokens.Rotate(user, session);
        s.Audit.Record(AuthEventType.TokenRefreshed, user.Id, user.FirmId, details: new { sessionId = session.Id });
        await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
        return TypedResults.Ok(tokens);
    }

    private static async Task<NoContent> LogoutAsync([AsParameters] SignInServices s, CancellationToken cancellationToken)
    {
        var sessionId = s.Http.User.SessionId();
        var session = await s.Db.UserSessions.Include(x => x.User).SingleAsync(x => x.Id == sessionId, cancellationToken);
        session.RevokedAt = s.Time.GetUtcNow();
        session.RevokedReason = "signed_out";
        s.Audit.Record(AuthEventType.SignedOut, session.UserId, session.User?.FirmId, details: new { sessionId });
        await s.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePasswordAsync(
        ChangePasswordRequest request, [AsParameters] SignInServices s, CancellationToken cancellationToken)
    {
        var user = await s.Db.Users.SingleAsync(u => u.Id == s.Http.User.UserId(), cancellationToken);
        if (user.AuthMethod != AuthMethod.Local || user.PasswordHash is null)
        {
            return TypedResults.Problem(
                title: "No local password",
                detail: "This account signs in through Clio; its password is managed there.",
                statusCode: StatusCodes.Status403Forbidden);
        }

        if (s.Hasher.VerifyHashedPassword(user, user.PasswordHash, request.CurrentPassword) == PasswordVerificationResult.Failed)
        {
            return Problems.Invalid("currentPassword", "The current password is incorrect.");
        }

        if (PasswordPolicy.Check(request.NewPassword, user.Email) is { } problem)
        {
            return Problems.Invalid("newPassword", problem);
        }

        var now = s.Time.GetUtcNow();
        var sessionId = s.Http.User.SessionId();
        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        user.PasswordHash = s.Hasher.HashPassword(user, request.NewPassword);
        user.UpdatedAt = now;
        var signedOut = await s.Db.UserSessions
            .Where(x => x.UserId == user.Id && x.Id != sessionId && x.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokedReason, "password_changed"), cancellationToken);
        s.Audit.Record(AuthEventType.PasswordChanged, user.Id, details: new { otherSessionsSignedOut = signedOut });
        await SaveAndCommitAsync(s.Db, transaction, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task SaveAndCommitAsync(AuthDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static bool IsEmail(string email) =>
        email.Length <= 320 && MailAddress.TryCreate(email, out var address) && address.Address == email
        && address.Host.Contains('.', StringComparison.Ordinal);

    private static ProblemHttpResult InvalidCredentials() => TypedResults.Problem(
        title: "Sign-in failed",
        detail: "The email or password is incorrect, or the account is temporarily locked.",
        statusCode: StatusCodes.Status401Unauthorized);

    private static ProblemHttpResult InvalidRefreshToken() => TypedResults.Problem(
        title: "Invalid refresh token",
        detail: "The refresh token is unknown, expired, already used or its session has ended; sign in again.",
        statusCode: StatusCodes.Status401Unauthorized);

}
