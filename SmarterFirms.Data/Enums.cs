namespace SmarterFirms.Data;

// Postgres native enums. Labels are the plan's UPPER_SNAKE_CASE values (see UpperSnakeCaseNameTranslator).

public enum FirmRole
{
    Owner,
    Admin,
    Member,
}

public enum UserType
{
    LawFirmUser,
    Consultant,
}

public enum AuthMethod
{
    ClioSso,
    Local,
}

public enum AccessLevel
{
    FullAccess,
    LimitedAccess,
    ReadOnly,
}

public enum AssociationStatus
{
    Active,
    Pending,
    Revoked,
}

// Every authentication and access event the trail records; each is written with the change it records.
public enum AuthEventType
{
    SignInSucceeded,
    SignInFailed,
    AccountLocked,
    AccountUnlocked,
    SignedOut,
    TokenRefreshed,
    TokenReuseDetected,
    PasswordChanged,
    Registered,
    ClioLinked,
    ClioSsoFailed,
    ClioCodeExchanged,
    ClioCodeExchangeFailed,
    ClioDisconnected,
    ReferralCodeRotated,
    AssociationInvited,
    AssociationAccepted,
    AssociationDeclined,
    AssociationRevoked,
    AccessLevelChanged,
    PermissionGranted,
    PermissionRevoked,
    AccessDenied,
    AuditRetentionChanged,
    LegalHoldChanged,
    AuditExported,
    AuditPurged,
}
