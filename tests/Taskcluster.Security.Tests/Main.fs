module Taskcluster.Security.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Security"
        [
            LeakTests.tests
            RouteTests.tests
            ForwardingTests.tests
            EmulatorTests.tests
        ]

[<EntryPoint>]
let main argv = runTestsWithCLIArgs [] argv allTests
