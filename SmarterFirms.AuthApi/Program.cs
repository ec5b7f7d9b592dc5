using SmarterFirms.AuthApi.Access;
using SmarterFirms.AuthApi.Associations;
using SmarterFirms.AuthApi.Audit;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.AuthApi.Clio;
using SmarterFirms.AuthApi.Consultants;
using SmarterFirms.AuthApi.Extensions;
using SmarterFirms.AuthApi.Firms;
using SmarterFirms.AuthApi.Notes;
using SmarterFirms.AuthApi.Permissions;
using SmarterFirms.AuthApi.Profiles;
using SmarterFirms.AuthApi.Users;
using SmarterFirms.Data.Encryption;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDatabase();
builder.AddTenancy();
builder.AddTokenAuthentication();
builder.AddFirmAuthorization();
builder.AddFieldEncryption();
builder.AddAuditSealing();
builder.AddClioSso();
builder.AddClientRateLimiting();
builder.AddApiProblemDetails();
builder.AddHttpApi();

var app = builder.Build();
_ = app.Services.GetRequiredService<SigningKeys>(); // a bad key stops the service at start, not at the first request

app.UseApiExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseTenantContext();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapDiscoveryApi();
app.MapLocalAuthApi();
app.MapClioSsoApi();
app.MapMeApi();
app.MapConsultantsApi();
app.MapProfilesApi();
app.MapFirmsApi();
app.MapAccessApi();
app.MapAssociationsApi();
app.MapPermissionsApi();
app.MapNotesApi();
app.MapAuditLogApi();
app.MapAuditApi();

app.Run();
