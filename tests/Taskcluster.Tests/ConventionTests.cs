using System.Reflection;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>The facade's shape, checked by reflection: Azure SDK conventions and no F# types.</summary>
public sealed class ConventionTests
{
    private static readonly Assembly Facade = typeof(QueueClient).Assembly;

    // The generated clients, one per service; TaskclusterApiClient serves a caller's own reference.
    private static readonly Type[] ServiceClients =
        Facade.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(TaskclusterServiceClient)) && t != typeof(TaskclusterApiClient))
            .ToArray();

    private static readonly Type[] ExchangeSets =
        Facade.GetExportedTypes().Where(t => t.Namespace == "Taskcluster" && t.Name.EndsWith("Events", StringComparison.Ordinal)).ToArray();

    private static IEnumerable<MethodInfo> FacadeMethods() =>
        ServiceClients.Append(typeof(TaskclusterServiceClient)).Append(typeof(TaskclusterApiClient)).Concat(ExchangeSets)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);

    /// <summary>Every public or protected method of every exported type, static ones included.</summary>
    private static IEnumerable<MethodInfo> AllPublicMethods() =>
        Facade.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsSpecialName);

    private static bool IsAsync(Type type) =>
        typeof(Task).IsAssignableFrom(type)
        || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>));

    [Fact]
    public void OneClassPerServiceAndPerExchangeSet()
    {
        var services = new[] { "Auth", "Github", "Hooks", "Index", "Notify", "Object", "PurgeCache", "Queue", "Secrets", "WebServer", "WorkerManager" };
        var exchanges = new[] { "Auth", "Github", "Hooks", "Notify", "Queue", "WorkerManager" };

        Assert.Equal(services.Select(s => s + "Client").Order(), ServiceClients.Select(t => t.Name).Order());
        Assert.Equal(exchanges.Select(s => s + "Events").Order(), ExchangeSets.Select(t => t.Name).Order());
    }

    [Fact]
    public void EveryReferenceMethodHasAnAsyncAndABlockingMember()
    {
        foreach (var client in ServiceClients)
        {
            var reference = (Core.ApiReference)typeof(Services.ApiClient).Assembly.GetType("Taskcluster.Services." + client.Name[..^"Client".Length])!
                .GetProperty("Reference")!.GetValue(null)!;
            foreach (var entry in reference.Entries)
            {
                var name = char.ToUpperInvariant(entry.Name[0]) + entry.Name[1..];
                Assert.NotNull(client.GetMethod(name + "Async"));
                Assert.NotNull(client.GetMethod(name));
            }
        }
    }

    [Fact]
    public void EveryFacadeMethodIsVirtual()
    {
        var notVirtual = FacadeMethods().Where(m => !m.IsVirtual || m.IsFinal).Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToList();

        Assert.Empty(notVirtual);
    }

    [Fact]
    public void AsyncMethodsEndInAsyncAndTakeTheTokenLast()
    {
        var methods = FacadeMethods().Where(m => !m.IsSpecialName).ToList();
        Assert.NotEmpty(methods);

        foreach (var m in methods)
        {
            var label = $"{m.DeclaringType!.Name}.{m.Name}";
            if (IsAsync(m.ReturnType))
            {
                Assert.True(m.Name.EndsWith("Async", StringComparison.Ordinal), label);
                var last = m.GetParameters().LastOrDefault();
                Assert.True(last is { Name: "cancellationToken" } && last.ParameterType == typeof(CancellationToken) && last.HasDefaultValue, label);
            }
            else
            {
                Assert.False(m.Name.EndsWith("Async", StringComparison.Ordinal), label);
            }
        }
    }

    [Fact]
    public void EveryAsyncMethodOfTheWholeSurfaceEndsInAsyncAndTakesTheTokenLast()
    {
        // Not only the clients: TaskclusterConfig, helpers, anything exported.
        var asyncMethods = AllPublicMethods().Where(m => IsAsync(m.ReturnType)).ToList();
        Assert.Contains(asyncMethods, m => m.DeclaringType == typeof(TaskclusterConfig) && m.Name == nameof(TaskclusterConfig.LoadSecretsAsync));

        var offenders = asyncMethods
            .Where(m => !m.Name.EndsWith("Async", StringComparison.Ordinal)
                        || m.GetParameters().LastOrDefault() is not { Name: "cancellationToken", HasDefaultValue: true } last
                        || last.ParameterType != typeof(CancellationToken))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void TheTransferSurfaceIsThere()
    {
        static string[] Returning(Type client, params Type[] values) =>
            client.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => values.Any(v => m.ReturnType == typeof(Task<>).MakeGenericType(typeof(TaskclusterResult<>).MakeGenericType(v))))
                .Select(m => m.Name)
                .Distinct()
                .Order()
                .ToArray();

        Assert.Equal(
            new[]
            {
                "DownloadToBytesAsync", "DownloadToFileAsync", "DownloadToStreamAsync", "DownloadToWriterAsync",
                "UploadAsync", "UploadFromBytesAsync", "UploadFromFileAsync", "UploadFromStreamAsync",
            },
            Returning(typeof(ObjectClient), typeof(UploadResult), typeof(DownloadResult), typeof(BytesDownload)));
        Assert.Equal(
            new[]
            {
                "CreateErrorArtifactAsync", "CreateLinkArtifactAsync", "CreateReferenceArtifactAsync",
                "DownloadArtifactAsync", "DownloadArtifactToBytesAsync", "DownloadArtifactToFileAsync", "DownloadArtifactToStreamAsync",
                "DownloadManagedArtifactAsync", "DownloadManagedArtifactToBytesAsync", "DownloadManagedArtifactToFileAsync",
                "DownloadManagedArtifactToStreamAsync",
                "UploadArtifactAsync", "UploadArtifactFromBytesAsync", "UploadArtifactFromFileAsync", "UploadArtifactFromStreamAsync",
            },
            Returning(typeof(QueueClient), typeof(UploadResult), typeof(DownloadResult), typeof(BytesDownload), typeof(CreatedArtifact)));
    }

    [Fact]
    public void ServiceClientsHaveAzureStyleConstructors()
    {
        foreach (var client in ServiceClients)
        {
            var constructors = client.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                .Where(c => c.IsPublic || c.IsFamily)
                .ToList();

            Assert.Contains(constructors, c => c.IsFamily && c.GetParameters().Length == 0);
            Assert.Contains(
                constructors,
                c => c.IsPublic
                     && c.GetParameters().Select(p => (p.ParameterType, p.HasDefaultValue)).SequenceEqual(
                         new[] { (typeof(Uri), false), (typeof(TaskclusterCredentials), true), (typeof(TaskclusterClientOptions), true) }));
        }
    }

    [Fact]
    public void NoFSharpTypeInThePublicSurface()
    {
        // Neither FSharp.Core nor the F# layers' own types (unions, records with F# lists).
        var forbidden = new[] { "FSharp.Core", "Taskcluster.Core", "Taskcluster.Client", "Taskcluster.Services", "Taskcluster.Models", "Taskcluster.Pulse", "RabbitMQ.Client" };
        var leaks = new List<string>();

        void Check(Type type, string where)
        {
            if (type.HasElementType)
            {
                Check(type.GetElementType()!, where);
                return;
            }

            if (forbidden.Contains(type.Assembly.GetName().Name))
            {
                leaks.Add($"{where}: {type.FullName}");
            }

            if (type.IsGenericType && !type.IsGenericTypeDefinition)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    Check(argument, where);
                }
            }
        }

        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in Facade.GetExportedTypes())
        {
            if (type.BaseType is not null)
            {
                Check(type.BaseType, $"{type.Name} base");
            }

            foreach (var i in type.GetInterfaces())
            {
                Check(i, $"{type.Name} interface");
            }

            foreach (var member in type.GetMembers(all))
            {
                var where = $"{type.Name}.{member.Name}";
                switch (member)
                {
                    case MethodBase method when method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly:
                        if (method is MethodInfo info)
                        {
                            Check(info.ReturnType, where);
                        }

                        foreach (var p in method.GetParameters())
                        {
                            Check(p.ParameterType, where);
                        }

                        break;
                    case PropertyInfo property when property.GetMethod is { IsPublic: true } or { IsFamily: true }:
                        Check(property.PropertyType, where);
                        break;
                    case FieldInfo field when field.IsPublic || field.IsFamily:
                        Check(field.FieldType, where);
                        break;
                }
            }
        }

        Assert.Empty(leaks);
    }
}
