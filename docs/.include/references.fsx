// Loaded (hidden) by every F# page: the packages and their dependencies, gathered in one
// folder by building Docs.References.csproj beside this file (`dotnet fsi build.fsx docs` does).
#I "bin/Release/net10.0"
// Not ASP.NET Core: the emulator loads it from the installed shared framework by itself, as it
// does for a notebook's `#r "nuget: ..."`.
#r "FsToolkit.ErrorHandling.dll"
#r "Polly.Core.dll"
#r "Microsoft.Extensions.Logging.Abstractions.dll"
#r "Json.More.dll"
#r "JsonPointer.Net.dll"
#r "JsonSchema.Net.dll"
#r "RabbitMQ.Client.dll"
#r "Taskcluster.Core.dll"
#r "Taskcluster.Client.dll"
#r "Taskcluster.Models.dll"
#r "Taskcluster.Services.dll"
#r "Taskcluster.Transfers.dll"
#r "Taskcluster.Pulse.dll"
#r "Taskcluster.dll"
#r "Cronos.dll"
#r "Taskcluster.Emulator.dll"
#r "FsCheck.dll"
#r "Taskcluster.Testing.dll"
