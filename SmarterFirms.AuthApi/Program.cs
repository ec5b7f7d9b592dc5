using SmarterFirms.AuthApi.Access;
using SmarterFirms.AuthApi.Associations;
using SmarterFirms.AuthApi.Audit;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.AuthApi.Clio;
using SmarterFirms.AuthApi.Consultants;
using SmarterFirms.AuthApi.Extensions;
using SmarterFirms.AuthApi.Firms;
using SmarterFirms.AuthApi.Monitoring;
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
builder.AddDatabaseMonitoring();
builder.AddHttpApi();

var app = builder.Build();
_ = app.Services.GetRequiredService<SigningKeys>(); // a bad key stops the service at start, not at the first request

app.UseApiExceptionHandler();
app.UseStatusCodePages();
app.UseCors();
app.UseAuthentication();
app.UseTenantContext();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapDefaultEndpoints();

// Every route of the API below checks its text input once (TextInputFilter), before any handler runs.
var api = app.MapGroup("").ValidateTextInput();
api.MapDiscoveryApi();
api.MapLocalAuthApi();
api.MapClioSsoApi();
api.MapClioConnectionApi();
api.MapMeApi();
api.MapConsultantsApi();
api.MapProfilesApi();
api.MapFirmsApi();
api.MapAccessApi();
api.MapAssociationsApi();
api.MapPermissionsApi();
api.MapNotesApi();
api.MapAuditLogApi();
api.MapAuditApi();
api.MapAuditRetentionApi();
api.MapAuditExportApi();
app.MapBareAuthenticatedEndpoint(); // benchmarks only (Benchmarks:BareAuthenticatedEndpoint)

app.Run();
