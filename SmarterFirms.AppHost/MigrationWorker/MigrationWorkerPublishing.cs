namespace SmarterFirms.AppHost.MigrationWorker;

// The worker as ops publish it (issue 13): a container built from SmarterFirms.MigrationWorker/Dockerfile (pg_dump
// inside) that runs `migrate` only, with its verified backups on a named volume; never the development seed.
internal static class MigrationWorkerPublishing
{
    public const string BackupVolume = "smarterfirms-backups";
    public const string BackupPath = "/backups";

    public static IResourceBuilder<ProjectResource> PublishAsMigrateContainer(this IResourceBuilder<ProjectResource> migrations) =>
        migrations.PublishAsDockerFile(container => container
            .WithDockerfile(Path.GetFullPath(Path.Combine(migrations.ApplicationBuilder.AppHostDirectory, "..")), "SmarterFirms.MigrationWorker/Dockerfile")
            .WithVolume(BackupVolume, BackupPath)
            .WithEnvironment("Backup__Directory", BackupPath)
            .WithArgs("migrate"));
}
