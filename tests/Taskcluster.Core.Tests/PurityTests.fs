/// `Taskcluster.Core` must stay pure: no I/O, no clock, no randomness, no network. This reads
/// the compiled assembly's metadata and fails on any reference to a type or member that would
/// give it one of those effects.
module Taskcluster.Core.Tests.PurityTests

open System.IO
open System.Reflection.Metadata
open System.Reflection.PortableExecutable
open Expecto

let private forbiddenTypes =
    [
        "System.IO.File"
        "System.IO.FileInfo"
        "System.IO.FileStream"
        "System.IO.Directory"
        "System.IO.DirectoryInfo"
        "System.IO.Path"
        "System.Console"
        "System.Environment"
        "System.Random"
        "System.Security.Cryptography.RandomNumberGenerator"
        "System.Diagnostics.Stopwatch"
        "System.Diagnostics.Process"
        "System.TimeProvider"
        "System.Threading.Thread"
        "System.Threading.Tasks.Task"
    ]

let private forbiddenMembers =
    [
        "System.DateTime", "get_Now"
        "System.DateTime", "get_UtcNow"
        "System.DateTime", "get_Today"
        "System.DateTimeOffset", "get_Now"
        "System.DateTimeOffset", "get_UtcNow"
        "System.Guid", "NewGuid"
    ]

let private forbiddenNamespaces =
    [ "System.Net"; "System.Net.Http"; "System.Net.Sockets" ]

let private typeName (reader: MetadataReader) (handle: EntityHandle) =
    match handle.Kind with
    | HandleKind.TypeReference ->
        let t = reader.GetTypeReference(TypeReferenceHandle.op_Explicit handle)
        $"{reader.GetString t.Namespace}.{reader.GetString t.Name}"
    | _ -> ""

let private violations () =
    let path = typeof<Taskcluster.Core.Json>.Assembly.Location
    use stream = File.OpenRead path
    use pe = new PEReader(stream)
    let reader = pe.GetMetadataReader()

    [
        for h in reader.TypeReferences do
            let t = reader.GetTypeReference h
            let ns = reader.GetString t.Namespace
            let full = $"{ns}.{reader.GetString t.Name}"

            if List.contains full forbiddenTypes || List.contains ns forbiddenNamespaces then
                yield full
        for h in reader.MemberReferences do
            let m = reader.GetMemberReference h
            let owner = typeName reader m.Parent
            let name = reader.GetString m.Name

            if List.contains (owner, name) forbiddenMembers then
                yield $"{owner}::{name}"
    ]

let tests =
    testList
        "Purity"
        [
            testCase "Taskcluster.Core references no I/O, clock, randomness or network API"
            <| fun () -> Expect.isEmpty (violations ()) "effects found in the pure core"

            testCase "the check does see the assembly's references"
            <| fun () ->
                // Guards the guard: if metadata reading silently found nothing, the test above
                // would pass vacuously.
                let path = typeof<Taskcluster.Core.Json>.Assembly.Location
                use stream = File.OpenRead path
                use pe = new PEReader(stream)
                let reader = pe.GetMetadataReader()
                Expect.isGreaterThan reader.TypeReferences.Count 10 "type references read"
        ]
