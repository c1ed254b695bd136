namespace Taskcluster.Testing

open System
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// FsCheck generators for the small values of Taskcluster: slugIds and UUIDs.
[<RequireQualifiedAccess>]
module Values =
    /// 16 arbitrary bytes, what a random source hands to `SlugId.v4` or `SlugId.nice`.
    let randomBytes: Gen<byte array> =
        Gen.arrayOfLength 16 (Gen.choose (0, 255) |> Gen.map byte)

    /// UUIDs with all 128 bits arbitrary (not only version 4), with the nil UUID now and then.
    let guid: Gen<Guid> =
        Gen.frequency
            [
                1, Gen.constant Guid.Empty
                20, randomBytes |> Gen.map (fun bytes -> Guid(ReadOnlySpan<byte> bytes, true))
            ]

    let private orFail (result: Result<'T, SlugIdError>) =
        match result with
        | Ok value -> value
        | Error e -> failwith (e.Describe())

    /// The slugIds of arbitrary UUIDs: any 22-character canonical slug, possibly starting with `-`.
    let slugId: Gen<SlugId> = guid |> Gen.map SlugId.encode

    /// Version-4 slugIds, as `SlugId.v4` makes them.
    let slugIdV4: Gen<SlugId> =
        randomBytes
        |> Gen.map (fun bytes -> orFail (SlugId.v4 (ReadOnlySpan<byte> bytes)))

    /// Nice slugIds (version 4, first character in `[A-Za-f]`), as the official clients make them.
    let slugIdNice: Gen<SlugId> =
        randomBytes
        |> Gen.map (fun bytes -> orFail (SlugId.nice (ReadOnlySpan<byte> bytes)))
