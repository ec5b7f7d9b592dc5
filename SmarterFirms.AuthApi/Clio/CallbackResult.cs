// What the Clio callback answers (JSON tokens, a redirect back to the app, or a problem), named once for the files of its flow.
global using CallbackResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<SmarterFirms.AuthApi.Auth.TokenResponse>,
    Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;
