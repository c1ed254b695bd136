namespace Taskcluster.Client

open System
open System.Collections.Generic
open System.Diagnostics
open System.Diagnostics.Metrics
open System.Threading
open Microsoft.FSharp.Reflection

[<RequireQualifiedAccess>]
module Telemetry =
    [<Literal>]
    let SourceName = "Taskcluster.Functional"

    [<Literal>]
    let CallDuration = "taskcluster.client.call.duration"

    [<Literal>]
    let Retries = "taskcluster.client.retries"

    [<Literal>]
    let BytesTransferred = "taskcluster.client.transfer.bytes"

    let private version =
        let assembly = typeof<RequestInfo>.Assembly

        match assembly.GetName().Version with
        | null -> null
        | v -> string v

    let source = new ActivitySource(SourceName, version)
    let meter = new Meter(SourceName, version)

    let private durations =
        meter.CreateHistogram<float>(CallDuration, "s", "How long API calls took, retries included.")

    let private retries =
        meter.CreateCounter<int64>(Retries, "{retry}", "Attempts sent again after a failure.")

    let private moved =
        meter.CreateCounter<int64>(BytesTransferred, "By", "Bytes moved by transfers that succeeded.")

    let split (name: string) =
        match name.IndexOf '.' with
        | -1 -> struct (name, "")
        | i -> struct (name.Substring(0, i), name.Substring(i + 1))

    let caseName (value: obj) =
        match value with
        | null -> "null"
        | v when FSharpType.IsUnion(v.GetType(), true) ->
            let case, _ = FSharpValue.GetUnionFields(v, v.GetType(), true)
            case.Name
        | v -> v.GetType().Name

    let startCall (info: RequestInfo) =
        let activity = source.StartActivity(info.Name, ActivityKind.Client)

        if not (isNull activity) then
            let struct (service, method) = split info.Name
            activity.SetTag("taskcluster.service", service) |> ignore
            activity.SetTag("taskcluster.method", method) |> ignore
            activity.SetTag("http.request.method", info.Method) |> ignore

            // The host only: an API URL carries no credentials, but its query may carry a
            // continuation token, which is nobody's business in a trace.
            match Uri.TryCreate(info.Url, UriKind.Absolute) with
            | true, uri -> activity.SetTag("server.address", uri.Host) |> ignore
            | _ -> ()

        activity

    let private fail (activity: Activity) (errorType: string) =
        activity.SetTag("error.type", errorType) |> ignore
        activity.SetStatus(ActivityStatusCode.Error, errorType) |> ignore

    let endCall
        (activity: Activity)
        (info: RequestInfo)
        (started: int64)
        (status: int option)
        (attempts: int)
        (requestId: string option)
        (errorType: string option)
        =

        if durations.Enabled then
            let struct (service, method) = split info.Name
            let tags = TagList()
            tags.Add("taskcluster.service", service)
            tags.Add("taskcluster.method", method)
            status |> Option.iter (fun s -> tags.Add("http.response.status_code", s))
            errorType |> Option.iter (fun t -> tags.Add("error.type", t))
            durations.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, &tags)

        if not (isNull activity) then
            status
            |> Option.iter (fun s -> activity.SetTag("http.response.status_code", s) |> ignore)

            activity.SetTag("taskcluster.attempts", attempts) |> ignore

            requestId
            |> Option.iter (fun id -> activity.SetTag("taskcluster.request_id", id) |> ignore)

            match errorType with
            | Some t -> fail activity t
            | None -> activity.SetStatus ActivityStatusCode.Ok |> ignore

            activity.Stop()

    let retried (name: string) (reason: string) (retry: int) (delay: TimeSpan) =
        let struct (service, method) = split name

        retries.Add(
            1L,
            KeyValuePair("taskcluster.service", box service),
            KeyValuePair("taskcluster.method", box method)
        )

        match Activity.Current with
        | null -> ()
        | current when obj.ReferenceEquals(current.Source, source) ->
            let tags = ActivityTagsCollection()
            tags["taskcluster.retry"] <- retry
            tags["taskcluster.retry.delay_ms"] <- delay.TotalMilliseconds
            // Already redacted by the callers, as every log line is.
            tags["taskcluster.retry.reason"] <- reason
            current.AddEvent(ActivityEvent("retry", tags = tags)) |> ignore
        | _ -> ()

    let traceId (configured: string option) =
        match configured with
        | Some _ -> configured
        | None ->
            match Activity.Current with
            | null -> None
            | current when current.IdFormat = ActivityIdFormat.W3C -> Some(current.TraceId.ToHexString())
            | _ -> None

    let private transferring = AsyncLocal<bool>()

    /// Marks our transfer spans, so that data requests find the span to tag.
    let private transferKey = "Taskcluster.Transfer"

    let inTransfer () = transferring.Value

    let startTransfer (service: string) (direction: string) (name: string) =
        transferring.Value <- true
        let activity = source.StartActivity($"{service}.{direction}", ActivityKind.Client)

        if not (isNull activity) then
            activity.SetCustomProperty(transferKey, box true)
            activity.SetTag("taskcluster.service", service) |> ignore
            activity.SetTag("taskcluster.transfer.direction", direction) |> ignore
            activity.SetTag("taskcluster.transfer.name", name) |> ignore

        activity

    let endTransfer
        (activity: Activity)
        (service: string)
        (direction: string)
        (bytes: int64 option)
        (status: int option)
        (errorType: string option)
        =
        transferring.Value <- false

        match bytes with
        | Some n ->
            moved.Add(
                n,
                KeyValuePair("taskcluster.service", box service),
                KeyValuePair("taskcluster.transfer.direction", box direction)
            )
        | None -> ()

        if not (isNull activity) then
            bytes
            |> Option.iter (fun n -> activity.SetTag("taskcluster.transfer.bytes", n) |> ignore)

            status
            |> Option.iter (fun s -> activity.SetTag("http.response.status_code", s) |> ignore)

            match errorType with
            | Some t -> fail activity t
            | None -> activity.SetStatus ActivityStatusCode.Ok |> ignore

            activity.Stop()

    let transferAttempts (attempts: int) =
        match Activity.Current with
        | null -> ()
        | current when not (isNull (current.GetCustomProperty transferKey)) ->
            current.SetTag("taskcluster.attempts", attempts) |> ignore
        | _ -> ()
