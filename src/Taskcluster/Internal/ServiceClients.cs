using System.Reflection;
using Microsoft.FSharp.Collections;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// Every facade client class with its API reference and a way to make it over an F# client, so
/// that <see cref="TaskclusterConfig"/> can make any of them without a list to keep in step with
/// the generated classes: each has an internal constructor taking its generated F# client, which
/// has a constructor taking the connection and a static <c>Reference</c>.
/// </summary>
internal static class ServiceClients
{
    internal sealed record Factory(Type Facade, C.ApiReference Reference, Func<F.TaskclusterClient, TaskclusterServiceClient> Create);

    private static readonly Lazy<Factory[]> All = new(() =>
        typeof(TaskclusterServiceClient).Assembly.GetTypes()
            // A client made from a caller's reference has no service of its own to list.
            .Where(t => t.IsSubclassOf(typeof(TaskclusterServiceClient)) && !t.IsAbstract && t != typeof(TaskclusterApiClient))
            .Select(Make)
            .ToArray());

    private static readonly Lazy<C.References> AllReferences = new(() =>
        new C.References(
            ListModule.OfSeq(All.Value.Select(f => f.Reference)),
            FSharpList<C.ExchangeReference>.Empty,
            MapModule.Empty<string, C.SchemaDocument>()));

    /// <summary>The API references of every client, for looking a service up by name.</summary>
    internal static C.References References => AllReferences.Value;

    internal static Factory Of(Type facade) =>
        All.Value.SingleOrDefault(f => f.Facade == facade)
        ?? throw new ArgumentException($"{facade.Name} is not a Taskcluster service client class of this package.", nameof(facade));

    internal static Factory Named(string serviceName) =>
        All.Value.Single(f => f.Reference.ServiceName == serviceName);

    private static Factory Make(Type facade)
    {
        var constructor = facade.GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance)
            .Single(c => c.GetParameters() is [var p] && p.ParameterType.IsSubclassOf(typeof(Services.ApiClient)));
        var service = constructor.GetParameters()[0].ParameterType;
        var reference = (C.ApiReference)service.GetProperty("Reference", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var serviceConstructor = service.GetConstructor([typeof(F.TaskclusterClient)])!;
        return new Factory(
            facade,
            reference,
            client => (TaskclusterServiceClient)constructor.Invoke([serviceConstructor.Invoke([client])]));
    }
}
