/// The private broker every test of this project shares, and helpers to wait for conditions.
module Taskcluster.Pulse.Tests.Support

open System
open System.Threading
open System.Threading.Tasks
open RabbitMQ.Client
open Taskcluster.Pulse.TestBroker

/// Started once by `Main` before any test runs and stopped after the last one.
let mutable private current: PrivateBroker = null

/// The run's broker.
let broker () =
    if isNull current then
        failwith "the private broker was not started (Main starts it before the tests)"

    current

let internal setBroker b = current <- b

/// A fresh unique name part, so tests never share queues, users or exchanges.
let unique (prefix: string) =
    $"""{prefix}-{Guid.NewGuid().ToString("N").Substring(0, 10)}"""

/// Opens an administrator connection (guest) to the run's broker.
let adminConnection () : Task<IConnection> =
    ConnectionFactory(Uri = broker().AdminUrl).CreateConnectionAsync()

/// Waits for a condition, checking it again whenever `poll` elapses, up to `timeout`; fails with
/// `what` when it never holds. Polling is the condition's own check, not a sleep standing in for
/// synchronisation: the test ends as soon as it holds.
let waitUntil (what: string) (timeout: TimeSpan) (condition: unit -> Task<bool>) =
    task {
        use cts = new CancellationTokenSource(timeout)
        let mutable ok = false

        while not ok do
            let! holds = condition ()

            if holds then
                ok <- true
            elif cts.IsCancellationRequested then
                failwith $"timed out after {timeout} waiting for {what}"
            else
                do! Task.Delay(25)
    }
