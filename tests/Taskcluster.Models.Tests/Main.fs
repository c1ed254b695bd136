module Taskcluster.Models.Tests.Main

open Expecto

let allTests =
    testList "Taskcluster.Models" [ ModelCodecTests.tests; GeneratedModelTests.tests ]

[<EntryPoint>]
let main argv = runTestsWithCLIArgs [] argv allTests
