namespace Taskcluster.Client

open System
open System.Diagnostics
open System.Diagnostics.Metrics

/// Traces and metrics of the client, for OpenTelemetry or any `ActivityListener` /
/// `MeterListener`: one span per API call and per transfer, and three instruments. No tag
/// carries a credential, a signature or a signed URL.
[<RequireQualifiedAccess>]
module Telemetry =
    /// The name of the client's `ActivitySource` (and of its `Meter`): what to pass to
    /// `AddSource` and `AddMeter`.
    [<Literal>]
    val SourceName: string = "Taskcluster.Functional"

    /// The histogram of API call durations, in seconds (tags `taskcluster.service`,
    /// `taskcluster.method`, `http.response.status_code` when the server answered, `error.type`
    /// when the call failed).
    [<Literal>]
    val CallDuration: string = "taskcluster.client.call.duration"

    /// The counter of retries, of API calls and of data requests (tags `taskcluster.service`,
    /// `taskcluster.method`).
    [<Literal>]
    val Retries: string = "taskcluster.client.retries"

    /// The counter of bytes moved by transfers that succeeded (tags `taskcluster.service`,
    /// `taskcluster.transfer.direction`: `upload` or `download`).
    [<Literal>]
    val BytesTransferred: string = "taskcluster.client.transfer.bytes"

    /// The source every span of the client starts from.
    val internal source: ActivitySource

    /// The meter every instrument of the client belongs to.
    val internal meter: Meter

    /// `service` and `method` of a `service.method` name.
    val internal split: name: string -> struct (string * string)

    /// The union case name of an error value, for `error.type`.
    val internal caseName: value: obj -> string

    /// Starts the span of an API call, current until stopped; null when nobody listens.
    val internal startCall: info: RequestInfo -> Activity

    /// Ends an API call: its span (status, attempts, request id, error type: the error's case
    /// name, or the exception's type when the call ended in one) and its duration.
    val internal endCall:
        activity: Activity ->
        info: RequestInfo ->
        started: int64 ->
        status: int option ->
        attempts: int ->
        requestId: string option ->
        errorType: string option ->
            unit

    /// Records one retry of the call or data request named `name` (`service.method`): a
    /// `retry` event on the current span when it is one of ours, and the retries counter.
    val internal retried: name: string -> reason: string -> retry: int -> delay: TimeSpan -> unit

    /// The trace id to send as `x-taskcluster-trace-id`: the one the options name, else the
    /// current `Activity`'s, else none.
    val internal traceId: configured: string option -> string option

    /// Whether a transfer span is already running in this flow (an artifact upload running an
    /// object upload): the inner transfer then adds no span and counts no bytes of its own.
    val internal inTransfer: unit -> bool

    /// Marks the flow as inside a transfer and starts its span (null when nobody listens).
    val internal startTransfer: service: string -> direction: string -> name: string -> Activity

    /// Ends a transfer: its span and, on success, the bytes counter; leaves the transfer flow.
    val internal endTransfer:
        activity: Activity ->
        service: string ->
        direction: string ->
        bytes: int64 option ->
        status: int option ->
        errorType: string option ->
            unit

    /// Sets the data request attempts of the current transfer span, when there is one.
    val internal transferAttempts: attempts: int -> unit
