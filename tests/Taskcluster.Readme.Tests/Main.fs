module Taskcluster.Readme.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    runTestsWithCLIArgs [] argv SnippetsTests.tests
