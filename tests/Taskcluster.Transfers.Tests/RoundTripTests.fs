/// The law of transfers: whatever the network does, download(upload(x)) is x or a typed error,
/// never different bytes.
module Taskcluster.Transfers.Tests.RoundTripTests

open System
open System.IO
open System.Threading
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Transfers.Tests.Support

/// What happens to one request to the object's data URLs.
type FaultCase =
    | ServerError of status: int
    | Dropped
    | Truncated of keepBytes: int
    | Corrupted
    | Expired
    | Refused of status: int
    | Through

    member this.Fault =
        match this with
        | ServerError s
        | Refused s -> Fault.Status s
        | Dropped -> Fault.DropConnection
        | Truncated n -> Fault.TruncateBody n
        | Corrupted -> Fault.CorruptBytes
        | Expired -> Fault.ExpiredUrl
        | Through -> Fault.Pass

    /// Faults every transfer must get past with retries alone.
    member this.Transient =
        match this with
        | ServerError _
        | Dropped
        | Truncated _
        | Through -> true
        | _ -> false

let private maxRetries = 3

let private genFault =
    Gen.frequency
        [
            4, Gen.elements [ ServerError 500; ServerError 502; ServerError 503 ]
            3, Gen.constant Dropped
            3, Gen.choose (0, 100_000) |> Gen.map Truncated
            4, Gen.constant Through
            1, Gen.constant Corrupted
            1, Gen.constant Expired
            1, Gen.elements [ Refused 400; Refused 404 ]
        ]

type Case =
    {
        Size: int
        Seed: int
        /// The faults of the object's data requests, one per request, uploads' PUTs then
        /// downloads' GETs.
        Schedule: FaultCase list
        ToFile: bool
    }

let private genCase =
    gen {
        let! size =
            Gen.frequency
                [
                    2, Gen.choose (0, 64)
                    2, Gen.choose (8180, 8200)
                    5, Gen.choose (8192, 3 * 1024 * 1024)
                ]

        let! seed = Gen.choose (0, Int32.MaxValue)
        let! length = Gen.choose (0, 6)
        let! schedule = Gen.listOfLength length genFault
        let! toFile = Gen.elements [ true; false ]

        return
            {
                Size = size
                Seed = seed
                Schedule = schedule
                ToFile = toFile
            }
    }

/// The longest run of failing requests in a schedule.
let private longestRun (schedule: FaultCase list) =
    schedule
    |> List.fold
        (fun (longest, current) f ->
            match f with
            | Through -> longest, 0
            | _ -> max longest (current + 1), current + 1)
        (0, 0)
    |> fst

/// Runs one case: `Some true` when the bytes came back, `Some false` for a typed error, and a
/// failed test for different bytes.
let private roundTrip (case: Case) =
    let e = emulator.Force()
    let objects = objects ()

    let options =
        { Transfer.defaults with
            MaxRetries = Some maxRetries
        }

    let name = objectName ()
    let data = bytes case.Seed case.Size

    if not case.Schedule.IsEmpty then
        e.Faults.Schedule(FaultTarget.Blob name, case.Schedule |> List.map _.Fault)

    let uploaded =
        Transfer.uploadFromBuf objects options (uploadRequest name) (ReadOnlyMemory data) CancellationToken.None
        |> run

    let outcome =
        match uploaded with
        | Error _ -> false
        | Ok _ when case.ToFile ->
            use folder = new TempFolder()
            let path = folder.File "object.bin"

            match Transfer.downloadToFile objects options name path CancellationToken.None |> run with
            | Ok downloaded ->
                let back = File.ReadAllBytes path
                Expect.equal back.Length data.Length "the length"
                Expect.isTrue (back = data) "the same bytes"
                Expect.equal downloaded.Length data.LongLength "the length reported"
                true
            | Error _ ->
                Expect.isEmpty folder.Entries "no file after an error"
                false
        | Ok _ ->
            match Transfer.downloadToBuf objects options name CancellationToken.None |> run with
            | Ok(back, _) ->
                Expect.isTrue (back = data) "the same bytes"
                true
            | Error _ -> false

    // Transient faults never outnumbering the retries must not stop a transfer.
    if
        case.Schedule |> List.forall _.Transient
        && longestRun case.Schedule <= maxRetries
    then
        Expect.isTrue outcome $"transient faults only, so the round trip succeeds: %A{case.Schedule}"

    outcome

let tests =
    testList
        "RoundTrip"
        [
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 40
                }
                "download (upload x) = x or a typed error, for any size and fault schedule"
            <| Prop.forAll (Arb.fromGen genCase) (fun case -> roundTrip case |> ignore)

            testCase "a schedule of every fault kind, pinned"
            <| fun () ->
                let case =
                    {
                        Size = 300_000
                        Seed = 1
                        Schedule = [ ServerError 503; Dropped; Through; Truncated 5000; Expired; Through ]
                        ToFile = true
                    }

                Expect.isTrue (roundTrip case) "every fault is survived"
        ]
