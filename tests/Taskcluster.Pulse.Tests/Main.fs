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
            FaultTests.tests
        ]

[<EntryPoint>]
let main argv =
    // Without TASKCLUSTER_TEST_AMQP_URL, one private broker for the whole run, started first: a
    // broker that cannot start fails the run with its own error (never a skipped test). With it,
    // a private broker is started only when a test needs to drive one.
    match Support.givenUrl with
    | Some u -> eprintfn "Pulse tests: publishing and consuming through the broker at %s:%d" u.Host u.Port
    | None ->
        try
            Support.setBroker (PrivateBroker.StartAsync().GetAwaiter().GetResult())
        with e ->
            eprintfn "The private RabbitMQ broker could not start: %O" e
            exit 1

    let stop () =
        match Support.started () with
        | null -> ()
        | broker -> (broker :> IAsyncDisposable).DisposeAsync().AsTask().GetAwaiter().GetResult()

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
