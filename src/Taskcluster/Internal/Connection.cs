using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Microsoft.Extensions.Logging;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>Turns the facade's constructor arguments into a validated F# client.</summary>
internal static class Connection
{
    /// <summary>The F# client for a root URL, credentials and options.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="rootUrl"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the parameter name says which argument holds it.</exception>
    internal static F.TaskclusterClient Create(Uri rootUrl, TaskclusterCredentials? credentials, TaskclusterClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(rootUrl);
        var o = options ?? new TaskclusterClientOptions();
        var defaults = F.Options.defaults;
        var fsharp = new F.ClientOptions(
            rootUrl.IsAbsoluteUri ? rootUrl.AbsoluteUri : rootUrl.OriginalString,
            credentials is null ? null : FSharpOption<F.Credentials>.Some(credentials.ToFSharp()),
            o.AuthorizedScopes is null ? null : FSharpOption<FSharpList<string>>.Some(ListModule.OfSeq(o.AuthorizedScopes)),
            o.MaxRetries,
            o.Timeout,
            o.SignedUrlExpiration,
            defaults.Backoff,
            o.HttpClient is null ? null : FSharpOption<HttpClient>.Some(o.HttpClient),
            o.HttpMessageHandler is null ? null : FSharpOption<HttpMessageHandler>.Some(o.HttpMessageHandler),
            o.Logger is null ? null : FSharpOption<ILogger>.Some(o.Logger),
            Adapt.Option(o.TraceId),
            o.ClockOffset,
            o.MaxClockOffset,
            o.TimeProvider,
            defaults.Random,
            o.ValidateRequests);

        var client = F.Client.create(fsharp);
        if (client.IsOk)
        {
            return client.ResultValue;
        }

        var error = client.ErrorValue;
        var field = error.Field;
        var parameter =
            field.StartsWith("rootUrl", StringComparison.Ordinal) ? nameof(rootUrl)
            : field.StartsWith("credentials", StringComparison.Ordinal) ? nameof(credentials)
            : nameof(options);
        throw new ArgumentException(error.Describe(), parameter);
    }
}
