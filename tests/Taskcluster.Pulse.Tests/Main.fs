module Taskcluster.Pulse.Tests.Main

open System
open Expecto
open Taskcluster.Pulse.TestBroker

let allTests =
    testList
        "Taskcluster.Pulse"
        [
            PrivateBrokerTests.tests
            PulseNameTests.tests
            ConnectionTests.tests
            MessageTests.tests
            ConsumerTests.tests
            EmulatorPublishingTests.tests
            WaitTests.tests
            TaskGraphTests.tests
        ]

[<EntryPoint>]
let main argv =
    // One private broker for the whole run; a broker that cannot start fails the run with its
    // own error (never a skipped test), and it is stopped whatever happens to the tests.
    let broker =
        try
            PrivateBroker.StartAsync().GetAwaiter().GetResult()
        with e ->
            eprintfn "The private RabbitMQ broker could not start: %O" e
            exit 1

    Support.setBroker broker

    let stop () =
        (broker :> IAsyncDisposable).DisposeAsync().AsTask().GetAwaiter().GetResult()

    // Ctrl+C or SIGTERM: stop the broker before the process goes.
    use _ =
        Runtime.InteropServices.PosixSignalRegistration.Create(
            Runtime.InteropServices.PosixSignal.SIGTERM,
            fun _ -> stop ()
        )

    try
        runTestsWithCLIArgs [] argv allTests
    finally
        stop ()
