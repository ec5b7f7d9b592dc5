using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Validation;

namespace SmarterFirms.AuthApi.Http;

// Every text input of every endpoint passes Text.Problem before a handler sees it: route and query values,
// [AsParameters] bundles and JSON bodies (nested records and lists included). One filter on the root group,
// so no endpoint can forget it; a refusal is a 400 validation problem naming the field (its JSON name).
// Hand-written because the built-in validation only runs attributes placed on each property.
public static class TextInputFilter
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<TextField>> Fields = new();

    public static TBuilder ValidateTextInput<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory(Create);

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var services = context.ApplicationServices.GetRequiredService<IServiceProviderIsService>();
        var checks = context.MethodInfo.GetParameters()
            .Select((parameter, index) => (parameter, index))
            .Where(p => p.parameter.ParameterType == typeof(string)
                || (IsInput(p.parameter.ParameterType) && !services.IsService(p.parameter.ParameterType)))
            .ToList();
        if (checks.Count == 0)
        {
            return next;
        }

        return async invocation =>
        {
            var errors = new Dictionary<string, string[]>();
            foreach (var (parameter, index) in checks)
            {
                // A route or query value is named by its parameter; a body's or bundle's fields by their own names.
                var path = parameter.ParameterType == typeof(string) ? Name(parameter.Name!) : "";
                Check(invocation.Arguments[index], parameter.ParameterType, path, Has<MultiLineAttribute>(parameter), errors, depth: 0);
            }

            return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : await next(invocation);
        };
    }

    private static void Check(object? value, Type type, string path, bool multiLine, Dictionary<string, string[]> errors, int depth)
    {
        switch (value)
        {
            case null:
                return;
            case string text:
                if (Text.Problem(text, multiLine) is { } problem)
                {
                    errors.TryAdd(path, [problem]);
                }

                return;
            case IEnumerable items when depth < 8:
                var i = 0;
                foreach (var item in items)
                {
                    Check(item, item?.GetType() ?? typeof(object), $"{path}[{i++}]", multiLine, errors, depth + 1);
                }

                return;
        }

        if (depth < 8 && IsInput(type))
        {
            foreach (var field in Fields.GetOrAdd(type, Describe))
            {
                Check(field.Property.GetValue(value), field.Property.PropertyType, Join(path, field.Name), field.MultiLine, errors, depth + 1);
            }
        }
    }

    // The request's own records (bodies, [AsParameters] query bundles); bundles of services are [SkipValidation].
    private static bool IsInput(Type type) =>
        type.Namespace?.StartsWith("SmarterFirms.", StringComparison.Ordinal) == true
        && type is { IsEnum: false, IsPrimitive: false }
#pragma warning disable ASP0029 // the documented marker for bundles of services (see FirmServices)
        && type.GetCustomAttribute<SkipValidationAttribute>() is null;
#pragma warning restore ASP0029

    private static IReadOnlyList<TextField> Describe(Type type)
    {
        // Positional records put attributes on the constructor parameter; ordinary classes on the property.
        var parameters = type.GetConstructors().SelectMany(c => c.GetParameters()).ToLookup(p => p.Name, StringComparer.Ordinal);
        return [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0
                && (p.PropertyType == typeof(string) || IsInput(p.PropertyType) || typeof(IEnumerable).IsAssignableFrom(p.PropertyType)))
            .Select(p => new TextField(p, Name(p.Name),
                p.GetCustomAttribute<MultiLineAttribute>() is not null || parameters[p.Name].Any(Has<MultiLineAttribute>)))];
    }

    private static bool Has<T>(ParameterInfo parameter) where T : Attribute => parameter.GetCustomAttribute<T>() is not null;

    private static string Name(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private sealed record TextField(PropertyInfo Property, string Name, bool MultiLine);
}
