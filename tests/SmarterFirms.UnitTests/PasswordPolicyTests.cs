using SmarterFirms.AuthApi.Auth;

namespace SmarterFirms.UnitTests;

// ASVS 5.0 V6.2: length only, no composition rules, no common password, not the email.
public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("a long passphrase of mine")]
    [InlineData("zq8#Lw2!")]
    [InlineData("alllowercaseletters")]
    public void ALongEnoughUncommonPasswordIsAccepted(string password) => Assert.Null(PasswordPolicy.Check(password, "me@example.com"));

    [Fact]
    public void SevenCharactersAreTooFewAndEightAreEnough()
    {
        Assert.Equal("Use at least 8 characters.", PasswordPolicy.Check("zq8#Lw2"));
        Assert.Null(PasswordPolicy.Check("zq8#Lw2x"));
    }

    [Fact]
    public void LengthCountsCharactersNotUtf16Units()
    {
        // Seven emoji are fourteen UTF-16 units but seven characters.
        Assert.NotNull(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("🔑", 7))));
        Assert.Null(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("🔑", 8))));
    }

    [Fact]
    public void MoreThan1024CharactersAreRefusedAnd1024Accepted()
    {
        Assert.Equal("Use at most 1024 characters.", PasswordPolicy.Check(new string('x', 1023) + "yz"));
        Assert.Null(PasswordPolicy.Check(new string('x', 1022) + "yz"));
    }

    [Theory]
    [InlineData("password")]
    [InlineData("PASSWORD1")]
    [InlineData("12345678")]
    public void ACommonPasswordIsRefusedInAnyCase(string password) =>
        Assert.Contains("commonly used", PasswordPolicy.Check(password));

    [Theory]
    [InlineData("Avery.Ledger@Example.com")]
    [InlineData("avery.ledger")]
    public void TheEmailOrItsLocalPartIsRefused(string password) =>
        Assert.Equal("The password must not be your email address.", PasswordPolicy.Check(password, "avery.ledger@example.com"));
}
