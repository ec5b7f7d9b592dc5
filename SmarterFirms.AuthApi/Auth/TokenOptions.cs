using System.ComponentModel.DataAnnotations;

namespace SmarterFirms.AuthApi.Auth;

// Configuration section "Tokens". The signing key is a secret: user secrets / an Aspire secret parameter.
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    [Required, Url]
    public string Issuer { get; set; } = "";

    [Required]
    public string Audience { get; set; } = "smarterfirms";

    // ES256 (P-256) private key, PEM or base64 PKCS#8. Signs every new access token.
    [Required(ErrorMessage = "Tokens:SigningKey is not set (the AppHost generates one for development; deployments supply a secret).")]
    public string SigningKey { get; set; } = "";

    // Keys retired by rotation (PEM or base64; public is enough): tokens they signed verify until they expire.
    public List<string> PreviousSigningKeys { get; set; } = [];

    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    // Each refresh token's own lifetime; rotation issues a new one on every use.
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    // Absolute: no rotation extends a session past this.
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);
}

// Configuration section "Lockout".
public sealed class LockoutOptions
{
    public const string Section = "Lockout";

    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(15);
}
