using SmarterFirms.AuthApi.Clio;

namespace SmarterFirms.UnitTests;

// Where a browser sign-in may return with its one-time code, and the sealing of the PKCE verifier to its browser.
public sealed class ClioReturnUrlsTests
{
    private static readonly string[] Allowed = ["https://app.example.com/signed-in", "http://localhost:3000/"];

    [Theory]
    [InlineData("https://app.example.com/signed-in")]
    [InlineData("https://app.example.com/signed-in/")]
    [InlineData("https://app.example.com/signed-in/matters?tab=open")]
    [InlineData("https://APP.example.com/signed-in")]
    [InlineData("https://app.example.com:443/signed-in")]
    [InlineData("http://localhost:3000/anything/below")]
    public void AnAddressUnderAnAllowedEntryMatches(string returnTo) =>
        Assert.NotNull(ClioReturnUrls.Match(returnTo, Allowed));

    [Theory]
    [InlineData("http://app.example.com/signed-in")] // scheme
    [InlineData("https://app.example.com:8443/signed-in")] // port
    [InlineData("https://evil.example.com/signed-in")] // host
    [InlineData("https://app.example.com.evil.example/signed-in")]
    [InlineData("https://app.example.com/signed-in-elsewhere")] // path prefix only at a segment boundary
    [InlineData("https://app.example.com/Signed-In")] // paths compare exactly
    [InlineData("https://app.example.com/signed-in/../admin")]
    [InlineData("https://app.example.com/signed-in/%2e%2e/admin")]
    [InlineData("https://app.example.com/signed-in/%2F%2Fevil.example")]
    [InlineData("https://app.example.com/signed-in\\..\\admin")]
    [InlineData("https://user@app.example.com/signed-in")]
    [InlineData("https://app.example.com/signed-in#token")]
    [InlineData("https://app.example.com/signed in")]
    [InlineData("//app.example.com/signed-in")]
    [InlineData("/signed-in")]
    [InlineData("javascript:alert(1)")]
    [InlineData("")]
    [InlineData(null)]
    public void AnythingElseDoesNot(string? returnTo) =>
        Assert.Null(ClioReturnUrls.Match(returnTo, Allowed));

    [Fact]
    public void AnOverlongAddressDoesNotMatch() =>
        Assert.Null(ClioReturnUrls.Match("https://app.example.com/signed-in/" + new string('a', ClioReturnUrls.MaxLength), Allowed));

    [Fact]
    public void NoConfiguredReturnUrlsMeansNoReturnTo() =>
        Assert.Null(ClioReturnUrls.Match("https://app.example.com/signed-in", []));

    [Fact]
    public void TheVerifierOpensOnlyWithItsBrowsersCookieAndItsAttemptsState()
    {
        byte[] state = [1, 2, 3], otherState = [1, 2, 4];
        var sealedValue = PkceVerifierSeal.Seal("the-verifier", "browser-cookie", state);

        Assert.Equal("the-verifier", PkceVerifierSeal.Open(sealedValue, "browser-cookie", state));
        Assert.Null(PkceVerifierSeal.Open(sealedValue, "another-cookie", state));
        Assert.Null(PkceVerifierSeal.Open(sealedValue, "browser-cookie", otherState));
        Assert.Null(PkceVerifierSeal.Open("AAAA", "browser-cookie", state));
        Assert.Null(PkceVerifierSeal.Open("not base64url!", "browser-cookie", state));
        Assert.NotEqual(sealedValue, PkceVerifierSeal.Seal("the-verifier", "browser-cookie", state)); // a fresh nonce each time
    }
}
