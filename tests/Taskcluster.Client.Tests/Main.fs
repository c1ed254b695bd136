module Taskcluster.Client.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Client"
        [
            OptionsTests.tests
            PayloadTests.tests
            RequestTests.tests
            RetryTests.tests
            ClockSkewTests.tests
            ErrorTests.tests
            PagingTests.tests
            SignedUrlTests.tests
            HelpersTests.tests
            LoggingTests.tests
            SyncContextTests.tests
            EmulatorTests.tests
            HostileTests.tests
            TelemetryTests.tests
        ]

[<EntryPoint>]
let main argv = runTestsWithCLIArgs [] argv allTests
