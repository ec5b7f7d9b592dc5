namespace SmarterFirms.Data.Entities;

// A finished browser sign-in waiting for the web app to exchange it for tokens: single use, valid a minute, bound to
// the browser that signed in. Only the SHA-256 hashes of the code and of the browser binding are stored.
public class ClioSignInCode
{
    public Guid Id { get; set; }
    public required byte[] CodeHash { get; set; }
    public required byte[] BrowserBindingHash { get; set; }
    public Guid UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
