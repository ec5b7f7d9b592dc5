using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace SmarterFirms.Benchmarks;

// One load client's own actors, so no two clients ever race on a refresh token or an association: a consultant
// (registered and signed in through the API) and the admin of a firm of its own (a law-firm user signs in through
// Clio, so the admin's token is signed with the API's key for a real session row, as the integration tests do).
internal sealed class LoadActor
{
    public required BenchConsultant Consultant { get; init; }
    public required string ReferralCode { get; init; }
    public required Guid FirmId { get; init; }
    public required Guid AdminId { get; init; }
    public required string AdminToken { get; init; }
    public string RefreshToken { get; set; } = "";
    public Guid? AssociationId { get; set; }

    public static async Task<LoadActor[]> CreateAsync(HttpClient api, BenchmarkStack stack, int count)
    {
        var issuer = (await api.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration")).GetProperty("issuer").GetString()!;
        await using var owner = new NpgsqlConnection(stack.OwnerConnectionString);
        await owner.OpenAsync();
        var signing = SigningCredentials(stack.SigningKey);
        var actors = new LoadActor[count];
        for (var i = 0; i < count; i++)
        {
            var consultant = (await Api.RegisterConsultantsAsync(api, 1))[0];
            using var login = await api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = consultant.Password });
            var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
            consultant.AccessToken = tokens.GetProperty("accessToken").GetString()!;
            using var profileRequest = Api.Get("/consultants/me/profile", consultant.AccessToken);
            using var profile = await api.SendAsync(profileRequest);
            var referralCode = (await profile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("referralCode").GetString()!;

            var (firmId, adminId, sessionId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            await using (var insert = new NpgsqlBatch(owner)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("INSERT INTO firms (id, name, clio_account_id) VALUES ($1, $2, $3)")
                    {
                        Parameters = { new() { Value = firmId }, new() { Value = $"Load Firm {i}" }, new() { Value = 900_000_000L + RandomNumberGenerator.GetInt32(0, 90_000_000) * 10L + i } },
                    },
                    new NpgsqlBatchCommand("INSERT INTO users (id, email, name, firm_id, role, type, auth_method) VALUES ($1, $2, 'Load Admin', $3, 'ADMIN', 'LAW_FIRM_USER', 'CLIO_SSO')")
                    {
                        Parameters = { new() { Value = adminId }, new() { Value = $"admin-{firmId:N}@load.example" }, new() { Value = firmId } },
                    },
                    new NpgsqlBatchCommand("INSERT INTO user_sessions (id, user_id, auth_method, expires_at) VALUES ($1, $2, 'CLIO_SSO', now() + interval '1 day')")
                    {
                        Parameters = { new() { Value = sessionId }, new() { Value = adminId } },
                    },
                },
            })
            {
                await insert.ExecuteNonQueryAsync();
            }

            actors[i] = new LoadActor
            {
                Consultant = consultant,
                ReferralCode = referralCode,
                FirmId = firmId,
                AdminId = adminId,
                AdminToken = MintAdminToken(signing, issuer, adminId, sessionId, firmId),
                RefreshToken = tokens.GetProperty("refreshToken").GetString()!,
            };
        }

        return actors;
    }

    // One key object for the whole run: IdentityModel caches its signature provider by key.
    internal static SigningCredentials SigningCredentials(string signingKey)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(signingKey), out _);
        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key).ComputeJwkThumbprint());
        return new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
    }

    // The claims TokenService puts in a law-firm user's access token, valid for the whole run.
    internal static string MintAdminToken(SigningCredentials signing, string issuer, Guid userId, Guid sessionId, Guid firmId)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "smarterfirms",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddDays(1),
            TokenType = "at+jwt",
            SigningCredentials = signing,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = userId.ToString(), ["sid"] = sessionId.ToString(), ["jti"] = Guid.NewGuid().ToString(),
                ["user_type"] = "LAW_FIRM_USER", ["auth_method"] = "CLIO_SSO", ["firm_id"] = firmId.ToString(),
            },
        });
    }
}
