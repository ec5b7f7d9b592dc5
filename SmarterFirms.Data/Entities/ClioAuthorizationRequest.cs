namespace SmarterFirms.Data.Entities;

// An SSO attempt between /auth/clio/login and /auth/clio/callback: single use, short-lived, and bound
// to the browser that started it. Only hashes of the state and the browser binding are stored.
public class ClioAuthorizationRequest
{
    public Guid Id { get; set; }
    public required byte[] StateHash { get; set; }
    public required byte[] BrowserBindingHash { get; set; }
    public required string CodeVerifier { get; set; }
    public required string Region { get; set; }

    // Where the browser goes back to with a one-time code (one of Clio:ReturnUrls); null: the callback answers JSON.
    public string? ReturnTo { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
