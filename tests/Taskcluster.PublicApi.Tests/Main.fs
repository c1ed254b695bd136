module Taskcluster.PublicApi.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    runTestsWithCLIArgs
        []
        argv
        (testList "public API" [ DocIdsTests.tests; SignatureFilesTests.tests; DocumentedTests.tests ])
