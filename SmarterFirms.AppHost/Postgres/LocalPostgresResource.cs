namespace SmarterFirms.AppHost.Postgres;

// The machine's PostgreSQL server run as an executable: the embedded default where no container engine answers.
internal sealed class LocalPostgresResource(string name, string command, ParameterResource password, LocalPostgresOptions options)
    : ExecutableResource(name, command, options.DataDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string SuperUser = "postgres";

    public ParameterResource PasswordParameter { get; } = password;

    public LocalPostgresOptions Options { get; } = options;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={PasswordParameter}");
}

internal sealed class LocalPostgresDatabaseResource(string name, LocalPostgresResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public LocalPostgresResource Parent { get; } = parent;

    // The migration worker creates the database itself (EF Core's MigrateAsync).
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={Name}");
}
