module Taskcluster.Notebooks.Tests.Main

open System.IO
open Expecto
open Taskcluster.Notebooks.Tests

let allTests =
    testList "Taskcluster.Notebooks" [ IpynbTests.tests; NotebookRunTests.tests ]

[<EntryPoint>]
let main argv =
    try
        runTestsWithCLIArgs [] argv allTests
    finally
        // The packed set and the private package cache are this run's alone.
        if Packages.packed.IsValueCreated then
            try
                Directory.Delete(Packages.packed.Value.Scratch, true)
            with _ ->
                ()
