module Taskcluster.Transfers.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Transfers"
        [
            TransferTests.tests
            ArtifactTests.tests
            ConfigTests.tests
            RoundTripTests.tests
        ]

[<EntryPoint>]
let main argv =
    if argv |> Array.contains "--bench" then
        Bench.run (argv |> Array.contains "--quick")
    else
        runTestsWithCLIArgs [] argv allTests
