using System.Text;
using System.Text.Encodings.Web;

namespace SmarterFirms.ClioStandIn.OAuth;

// The stand-in's only "UI": pick a seeded user instead of typing a password. Every value is HTML-encoded.
internal static class AuthorizePages
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b2733}" +
        "h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.5rem}ul{list-style:none;padding:0}" +
        "li{margin:.35rem 0}a{color:#0b5cad}small{color:#5b6b7a}.notice{background:#fff4e5;padding:.6rem .8rem}";

    public static string UserPicker(
        string clientId,
        IEnumerable<(string Href, ClioUserOptions User)> choices,
        Func<long, string?> accountName,
        string cancelHref,
        string? unknownHint)
    {
        var html = new StringBuilder();
        Begin(html, "Sign in to Clio (stand-in)");
        html.Append("<h1>Sign in to Clio (stand-in)</h1>");
        html.Append("<p>Application <code>").Append(Encode(clientId))
            .Append("</code> asks to sign you in. This offline stand-in has no passwords: choose a user.</p>");
        if (unknownHint is not null)
        {
            html.Append("<p class=\"notice\">No user has the email <strong>").Append(Encode(unknownHint)).Append("</strong>.</p>");
        }

        foreach (var account in choices.GroupBy(c => c.User.AccountId))
        {
            html.Append("<h2>").Append(Encode(accountName(account.Key) ?? "Account")).Append(" <small>account ")
                .Append(account.Key).Append("</small></h2><ul>");
            foreach (var (href, user) in account)
            {
                html.Append("<li><a href=\"").Append(Encode(href)).Append("\">").Append(Encode(user.Name)).Append("</a> <small>")
                    .Append(Encode(user.Email)).Append(" · user ").Append(user.Id).Append("</small></li>");
            }
            html.Append("</ul>");
        }

        html.Append("<p><a href=\"").Append(Encode(cancelHref)).Append("\">Cancel</a></p>");
        return End(html);
    }

    // RFC 6749 §4.1.2.1: with an unknown client or redirect URI, tell the user and never redirect.
    public static string Error(string error, string description)
    {
        var html = new StringBuilder();
        Begin(html, "Clio stand-in: authorization error");
        html.Append("<h1>Authorization error</h1><p><code>").Append(Encode(error)).Append("</code></p><p>")
            .Append(Encode(description)).Append("</p>");
        return End(html);
    }

    private static void Begin(StringBuilder html, string title) =>
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title))
            .Append("</title><style>").Append(Style).Append("</style></head><body>");

    private static string End(StringBuilder html) => html.Append("</body></html>").ToString();

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);
}
