using Microsoft.FSharp.Collections;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>slugIds: the 22-character URL-safe ids of tasks and task groups (the official clients' <c>slugId</c>, <c>stableSlugId</c>, <c>encode</c>, <c>decode</c>).</summary>
public static class SlugIds
{
    /// <summary><c>slugId</c>: a new random (v4) slugId that never starts with <c>-</c>, safe on command lines.</summary>
    /// <returns>The slugId.</returns>
    public static string NewSlugId() => F.Helpers.slugId().Value;

    /// <summary>
    /// <c>stableSlugId</c>: a function giving a fresh slugId for each new name and the same one every
    /// time the name comes again (thread-safe), e.g. to refer to the tasks of one graph by name.
    /// </summary>
    /// <returns>The function.</returns>
    public static Func<string, string> StableSlugId()
    {
        var ids = F.Helpers.stableSlugId();
        return name => ids.Invoke(name ?? throw new ArgumentNullException(nameof(name))).Value;
    }

    /// <summary>The slugId of a UUID.</summary>
    /// <param name="uuid">The UUID.</param>
    /// <returns>The slugId.</returns>
    public static string Encode(Guid uuid) => C.SlugIdModule.encode(uuid).Value;

    /// <summary>The UUID of a slugId.</summary>
    /// <param name="slugId">The slugId.</param>
    /// <returns>The UUID.</returns>
    /// <exception cref="FormatException">The text is not a slugId (the message says why).</exception>
    public static Guid Decode(string slugId)
    {
        ArgumentNullException.ThrowIfNull(slugId);
        var result = C.SlugIdModule.decode(slugId);
        return result.IsOk ? result.ResultValue : throw new FormatException(result.ErrorValue.Describe());
    }

    /// <summary>The UUID of a slugId, if it is one.</summary>
    /// <param name="slugId">The text.</param>
    /// <param name="uuid">The UUID, or <see cref="Guid.Empty"/>.</param>
    /// <returns>Whether the text is a slugId.</returns>
    public static bool TryDecode(string? slugId, out Guid uuid)
    {
        if (slugId is not null && C.SlugIdModule.decode(slugId) is { IsOk: true } result)
        {
            uuid = result.ResultValue;
            return true;
        }

        uuid = Guid.Empty;
        return false;
    }

    /// <summary>Whether the text is a canonical slugId.</summary>
    /// <param name="slugId">The text.</param>
    /// <returns>Whether it is one.</returns>
    public static bool IsValid(string? slugId) => slugId is not null && C.SlugIdModule.parse(slugId).IsOk;
}

/// <summary>fromNow: instants relative to now, written the Taskcluster way (<c>2 days 3 hours</c>, <c>-1 hour</c>, <c>1y 2mo</c>).</summary>
public static class FromNowOffsets
{
    /// <summary><c>fromNow</c>: the instant at an offset from now (or from <paramref name="reference"/>).</summary>
    /// <param name="offset">The offset, e.g. <c>3 days</c> or <c>-1h</c>; units in the order y, mo, w, d, h, m, s.</param>
    /// <param name="reference">The instant to count from; null for now.</param>
    /// <returns>The instant.</returns>
    /// <exception cref="ArgumentException">The offset is malformed or leaves the range of dates.</exception>
    public static DateTimeOffset FromNow(string offset, DateTimeOffset? reference = null)
    {
        ArgumentNullException.ThrowIfNull(offset);
        var result = C.FromNow.fromNow(offset, reference ?? DateTimeOffset.UtcNow);
        return result.IsOk ? result.ResultValue : throw new ArgumentException(result.ErrorValue.Describe(), nameof(offset));
    }

    /// <summary><c>fromNowJSON</c>: <see cref="FromNow"/> as JSON writes dates (<c>2024-01-01T00:00:00.000Z</c>), as task definitions need them.</summary>
    /// <param name="offset">The offset.</param>
    /// <param name="reference">The instant to count from; null for now.</param>
    /// <returns>The instant as text.</returns>
    /// <exception cref="ArgumentException">The offset is malformed or leaves the range of dates.</exception>
    public static string FromNowJson(string offset, DateTimeOffset? reference = null)
    {
        ArgumentNullException.ThrowIfNull(offset);
        var result = C.FromNow.fromNowJSON(offset, reference ?? DateTimeOffset.UtcNow);
        return result.IsOk ? result.ResultValue : throw new ArgumentException(result.ErrorValue.Describe(), nameof(offset));
    }

    /// <summary>The length of an offset.</summary>
    /// <param name="offset">The offset, e.g. <c>2 hours</c>.</param>
    /// <returns>Its signed length.</returns>
    /// <exception cref="ArgumentException">The offset is malformed.</exception>
    public static TimeSpan Parse(string offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        var result = C.FromNow.parse(offset);
        return result.IsOk ? result.ResultValue.Duration : throw new ArgumentException(result.ErrorValue.Describe(), nameof(offset));
    }
}

/// <summary>Scopes: satisfaction, matching and set operations as the auth service computes them (<c>scopeMatch</c>, <c>satisfiesExpression</c>, <c>normalizeScopeSet</c>, <c>scopeUnion</c>, <c>scopeIntersection</c>).</summary>
public static class Scopes
{
    /// <summary>Whether a scope is valid (printable ASCII).</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>Whether it is valid.</returns>
    public static bool IsValid(string? scope) => scope is not null && C.Scope.validScope(scope);

    /// <summary>Whether the held scopes satisfy one required scope (a held <c>a:*</c> satisfies <c>a:b</c>).</summary>
    /// <param name="scopes">The scopes held.</param>
    /// <param name="requiredScope">The scope required.</param>
    /// <returns>Whether it is satisfied.</returns>
    public static bool Satisfies(IEnumerable<string> scopes, string requiredScope)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(requiredScope);
        return C.ScopeSetModule.satisfies(C.ScopeSetModule.ofSeq(scopes), requiredScope);
    }

    /// <summary><c>satisfiesExpression</c>: whether the held scopes satisfy a scope expression (JSON: a scope, <c>{"AllOf": [...]}</c> or <c>{"AnyOf": [...]}</c>).</summary>
    /// <param name="scopes">The scopes held.</param>
    /// <param name="expressionJson">The expression as JSON.</param>
    /// <returns>Whether it is satisfied.</returns>
    /// <exception cref="ArgumentException">The expression is malformed.</exception>
    public static bool SatisfiesExpression(IEnumerable<string> scopes, string expressionJson)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(expressionJson);
        var expression = C.Scope.parseExpression(expressionJson);
        return expression.IsOk
            ? C.Scope.satisfiesExpression(scopes, expression.ResultValue)
            : throw new ArgumentException(expression.ErrorValue.Describe(), nameof(expressionJson));
    }

    /// <summary><c>scopeMatch</c>: whether the held scopes satisfy at least one of the sets of required scopes (each set wholly).</summary>
    /// <param name="assumedScopes">The scopes held.</param>
    /// <param name="requiredScopeSets">Alternatives, each a set of scopes that must all be satisfied.</param>
    /// <returns>Whether one alternative is satisfied.</returns>
    public static bool ScopeMatch(IEnumerable<string> assumedScopes, IEnumerable<IEnumerable<string>> requiredScopeSets)
    {
        ArgumentNullException.ThrowIfNull(assumedScopes);
        ArgumentNullException.ThrowIfNull(requiredScopeSets);
        return C.Scope.scopeMatch(assumedScopes, ListModule.OfSeq(requiredScopeSets.Select(ListModule.OfSeq)));
    }

    /// <summary><c>normalizeScopeSet</c>: the scopes without those another one satisfies, sorted.</summary>
    /// <param name="scopes">The scopes.</param>
    /// <returns>The normalised set.</returns>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        return C.Scope.normalizeScopeSet(scopes).ToArray();
    }

    /// <summary><c>scopeUnion</c>: the normalised union of two scope sets.</summary>
    /// <param name="scopes1">One set.</param>
    /// <param name="scopes2">The other.</param>
    /// <returns>The union.</returns>
    public static IReadOnlyList<string> Union(IEnumerable<string> scopes1, IEnumerable<string> scopes2)
    {
        ArgumentNullException.ThrowIfNull(scopes1);
        ArgumentNullException.ThrowIfNull(scopes2);
        return C.Scope.scopeUnion(scopes1, scopes2).ToArray();
    }

    /// <summary><c>scopeIntersection</c>: the scopes both sets satisfy.</summary>
    /// <param name="scopes1">One set.</param>
    /// <param name="scopes2">The other.</param>
    /// <returns>The intersection.</returns>
    public static IReadOnlyList<string> Intersection(IEnumerable<string> scopes1, IEnumerable<string> scopes2)
    {
        ArgumentNullException.ThrowIfNull(scopes1);
        ArgumentNullException.ThrowIfNull(scopes2);
        return C.Scope.scopeIntersection(scopes1, scopes2).ToArray();
    }
}

/// <summary>The URLs of a deployment (the official <c>taskcluster-lib-urls</c>).</summary>
public static class TaskclusterUrls
{
    private static C.RootUrl Root(Uri rootUrl)
    {
        ArgumentNullException.ThrowIfNull(rootUrl);
        var result = C.RootUrlModule.parse(rootUrl.IsAbsoluteUri ? rootUrl.AbsoluteUri : rootUrl.OriginalString);
        return result.IsOk ? result.ResultValue : throw new ArgumentException(result.ErrorValue.Describe(), nameof(rootUrl));
    }

    /// <summary>The URL of an API path, e.g. <c>https://tc.example.com/api/queue/v1/task/abc</c>.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="service">The service, e.g. <c>queue</c>.</param>
    /// <param name="version">The API version, e.g. <c>v1</c>.</param>
    /// <param name="path">The path after the version, e.g. <c>task/abc</c>.</param>
    /// <returns>The URL.</returns>
    public static string Api(Uri rootUrl, string service, string version, string path) =>
        C.RootUrlModule.api(Root(rootUrl), service, version, path);

    /// <summary>The URL of a service's API reference.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="service">The service.</param>
    /// <param name="version">The API version.</param>
    /// <returns>The URL.</returns>
    public static string ApiReference(Uri rootUrl, string service, string version) =>
        C.RootUrlModule.apiReference(Root(rootUrl), service, version);

    /// <summary>The URL of a service's exchange reference.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="service">The service.</param>
    /// <param name="version">The API version.</param>
    /// <returns>The URL.</returns>
    public static string ExchangeReference(Uri rootUrl, string service, string version) =>
        C.RootUrlModule.exchangeReference(Root(rootUrl), service, version);

    /// <summary>The URL of a JSON schema.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="service">The service.</param>
    /// <param name="schema">The schema's path, e.g. <c>v1/task.json</c>.</param>
    /// <returns>The URL.</returns>
    public static string Schema(Uri rootUrl, string service, string schema) =>
        C.RootUrlModule.schema(Root(rootUrl), service, schema);

    /// <summary>The URL of a page of the web UI.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="path">The page's path, e.g. <c>tasks/abc</c>.</param>
    /// <returns>The URL.</returns>
    public static string Ui(Uri rootUrl, string path) => C.RootUrlModule.ui(Root(rootUrl), path);

    /// <summary>The URL of a documentation page.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="path">The page's path.</param>
    /// <returns>The URL.</returns>
    public static string Docs(Uri rootUrl, string path) => C.RootUrlModule.docs(Root(rootUrl), path);

    /// <summary>The URL of the deployment's API manifest.</summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <returns>The URL.</returns>
    public static string ApiManifest(Uri rootUrl) => C.RootUrlModule.apiManifest(Root(rootUrl));
}
