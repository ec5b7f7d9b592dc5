using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace SmarterFirms.AppHost.Postgres;

// Asks the container runtime Aspire would use whether its daemon answers; a bare client does not count.
internal static class ContainerRuntimeProbe
{
    // ASPIRE_CONTAINER_RUNTIME is the setting Aspire itself reads (environment or configuration).
    public static bool IsHealthy(IConfiguration configuration, out string status)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                status = $"'{runtime} info' did not answer within 10 s";
                return false;
            }

            status = process.ExitCode == 0
                ? $"{runtime} daemon {process.StandardOutput.ReadToEnd().Trim()} is running"
                : $"{runtime} is installed but its daemon is not running";
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            status = $"no container runtime ('{runtime}' is not installed)";
            return false;
        }
    }
}
