namespace SmarterFirms.Data.Tenancy;

// Who the current unit of work acts for. Row-level security reads it: it is copied into app.user_id and
// app.firm_id for each transaction. Filled from the signed-in user, or set explicitly by a
// flow that acts before anyone holds a token (the Clio callback).
public sealed class TenantContext
{
    public Guid? UserId { get; set; }
    public Guid? FirmId { get; set; }
}
