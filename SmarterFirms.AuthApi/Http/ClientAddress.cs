using System.Net;

namespace SmarterFirms.AuthApi.Http;

public static class ClientAddress
{
    // The caller's address in one form everywhere (audit rows, sessions, throttling, rollout keys):
    // an IPv4 client reached over a dual-stack socket counts as IPv4.
    public static IPAddress? ClientIp(this HttpContext http) =>
        http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : http.Connection.RemoteIpAddress;

    public static string ClientKey(this HttpContext http) => http.ClientIp()?.ToString() ?? "unknown";
}
