module Taskcluster.Interop.Tests.Main

open Expecto

let allTests () =
    try
        Node.requireInstalled ()

        testList
            "Taskcluster.Interop"
            [
                ApiTests.tests ()
                TransferTests.tests ()
                HawkServerTests.tests ()
                DifferentialTests.tests ()
                JsonETests.tests ()
            ]
    with e ->
        // Missing packages fail the run with the reason, they never skip it.
        testList "Taskcluster.Interop" [ test "the official JS packages are installed" { failtest e.Message } ]

[<EntryPoint>]
let main argv =
    runTestsWithCLIArgs [] argv (allTests ())
