module Taskcluster.Services.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Services"
        [
            GeneratedTests.tests
            SchemaTests.tests
            BindingTests.tests
            UrlTests.tests
            SweepTests.tests
            TypedTests.tests
            RequestValidationTests.tests
            TypedArgumentsTests.tests
            TypedMessageTests.tests
            CredentialInformationTests.tests
            ModelCredentialsTests.tests
        ]

[<EntryPoint>]
let main argv = runTestsWithCLIArgs [] argv allTests
