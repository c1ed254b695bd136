module Taskcluster.Emulator.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Emulator"
        [
            ScopesTests.tests
            RolesTests.tests
            HawkTests.tests
            PaginationTests.tests
            RoutingTests.tests
            AuthTests.tests
            QueueTests.tests
            ObjectTests.tests
            SecretsTests.tests
            IndexTests.tests
            FaultTests.tests
            HostTests.tests
        ]

[<EntryPoint>]
let main argv =
    if argv |> Array.contains "--bench" then
        (Bench.run ()).GetAwaiter().GetResult()
    else
        runTestsWithCLIArgs [] argv allTests
