namespace Taskcluster.Pulse

open System
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open FsToolkit.ErrorHandling
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services

[<RequireQualifiedAccess>]
type TaskOutcome =
    | Completed of runId: int
    | Failed of runId: int
    | Exception of runId: int option * reason: string

type TaskGroupOutcome =
    {
        TaskGroupId: string
        Tasks: (string * TaskOutcome) list
    }

    member this.AllCompleted =
        this.Tasks
        |> List.forall (fun (_, o) ->
            match o with
            | TaskOutcome.Completed _ -> true
            | _ -> false)

[<RequireQualifiedAccess>]
type WaitError =
    | TimedOut of what: string * timeout: TimeSpan
    | Queue of TaskclusterError
    | Consumer of ConsumerError
    | InvalidId of what: string * value: string

    member this.Describe() =
        match this with
        | TimedOut(what, timeout) -> $"{what} did not resolve within {timeout}"
        | Queue e -> $"the queue call failed: {e}"
        | Consumer e -> $"the Pulse consumer could not start: {e.Describe()}"
        | InvalidId(what, value) -> $"'{value}' is not a valid {what}"

[<NoEquality; NoComparison>]
type WaitOptions =
    {
        Pulse: PulseConnection option
        Timeout: TimeSpan
        PollInterval: TimeSpan
        MaxPollInterval: TimeSpan
        TimeProvider: TimeProvider
        OnListening: int -> unit
    }

/// What a Pulse wait reacts to.
[<RequireQualifiedAccess>]
type private Signal =
    /// The queue is bound and consuming (again): read the current state.
    | Subscribed
    | Message of PulseMessage

[<RequireQualifiedAccess>]
module Wait =
    let defaults =
        {
            Pulse = None
            Timeout = TimeSpan.FromHours 1.0
            PollInterval = TimeSpan.FromSeconds 1.0
            MaxPollInterval = TimeSpan.FromSeconds 30.0
            TimeProvider = TimeProvider.System
            OnListening = ignore
        }

    let overPulse (connection: PulseConnection) =
        { defaults with
            Pulse = Some connection
        }

    let private reasonText (reason: TaskStatusRunsItemReasonResolved) =
        match TaskStatusRunsItemReasonResolved.Encode reason with
        | Json.String s -> s
        | other -> string other

    let outcomeOf (status: TaskStatus) =
        let last = List.tryLast status.Runs
        let runId = last |> Option.map (fun r -> int r.RunId)

        match status.State with
        | TaskStatusState.Completed -> Some(TaskOutcome.Completed(defaultArg runId 0))
        | TaskStatusState.Failed -> Some(TaskOutcome.Failed(defaultArg runId 0))
        | TaskStatusState.Exception ->
            let reason =
                last
                |> Option.bind (fun r -> r.ReasonResolved)
                |> Option.map reasonText
                |> Option.defaultValue "unknown"

            Some(TaskOutcome.Exception(runId, reason))
        | _ -> None

    type private Check<'T> = CancellationToken -> Task<Result<'T option, WaitError>>

    let private poll (options: WaitOptions) (check: Check<'T>) (token: CancellationToken) =
        task {
            let mutable result = None
            let mutable pause = options.PollInterval

            while result.IsNone do
                match! check token with
                | Error e -> result <- Some(Error e)
                | Ok(Some v) -> result <- Some(Ok v)
                | Ok None ->
                    do! Task.Delay(pause, options.TimeProvider, token)
                    pause <- min (pause + pause) options.MaxPollInterval

            return result.Value
        }

    /// Subscribes first, then reads the state each time the subscription (re)starts (a message
    /// may have been missed while disconnected) and lets each message answer or trigger a read.
    let private listen
        (options: WaitOptions)
        (connection: PulseConnection)
        (bindings: PulseBinding list)
        (check: Check<'T>)
        (onMessage: PulseMessage -> Check<'T>)
        (token: CancellationToken)
        =
        task {
            let signals = Channel.CreateUnbounded<Signal>()

            let consumerOptions =
                { Consumer.defaults connection with
                    Bindings = bindings
                    Prefetch = 1
                    OnConsuming =
                        fun n ->
                            options.OnListening n
                            signals.Writer.TryWrite Signal.Subscribed |> ignore
                }

            use consumerStop = CancellationTokenSource.CreateLinkedTokenSource token

            let consuming =
                Consumer.consume
                    consumerOptions
                    (fun m _ ->
                        signals.Writer.TryWrite(Signal.Message m) |> ignore
                        Task.CompletedTask)
                    consumerStop.Token

            try
                let mutable result = None

                while result.IsNone do
                    let next = signals.Reader.ReadAsync(token).AsTask()
                    let! first = Task.WhenAny(next, consuming :> Task)

                    if obj.ReferenceEquals(first, next) then
                        // awaited, so a cancellation comes out as itself
                        let! signal = next

                        let! answer =
                            match signal with
                            | Signal.Subscribed -> check token
                            | Signal.Message m -> onMessage m token

                        match answer with
                        | Error e -> result <- Some(Error e)
                        | Ok(Some v) -> result <- Some(Ok v)
                        | Ok None -> ()
                    else
                        // the consumer ends early only with invalid options, or when cancelled
                        match consuming.Result with
                        | Error e -> result <- Some(Error(WaitError.Consumer e))
                        | Ok() -> token.ThrowIfCancellationRequested()

                return result.Value
            finally
                consumerStop.Cancel()

                try
                    consuming.Wait(TimeSpan.FromSeconds 30.0) |> ignore
                with _ ->
                    ()
        }

    /// Runs a wait under the timeout: over Pulse when a connection is given, else by polling.
    let private run
        (options: WaitOptions)
        (what: string)
        (bindings: unit -> Result<PulseBinding list, WaitError>)
        (check: Check<'T>)
        (onMessage: PulseMessage -> Check<'T>)
        (cancellationToken: CancellationToken)
        : Task<Result<'T, WaitError>> =
        task {
            use timeout = new CancellationTokenSource(options.Timeout, options.TimeProvider)

            use linked =
                CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token)

            try
                match options.Pulse with
                | None -> return! poll options check linked.Token
                | Some connection ->
                    match bindings () with
                    | Error e -> return Error e
                    | Ok bs -> return! listen options connection bs check onMessage linked.Token
            with :? OperationCanceledException when
                timeout.IsCancellationRequested && not cancellationToken.IsCancellationRequested ->
                return Error(WaitError.TimedOut(what, options.Timeout))
        }

    let private validId (what: string) (value: string) =
        match SlugId.parse value with
        | Ok _ -> Ok()
        | Error _ -> Error(WaitError.InvalidId(what, (if isNull value then "null" else value)))

    let private bind (entry: ExchangeEntry) (values: (string * string) list) =
        RoutingKey.binding QueueEventsReference.reference entry (BindingPattern.Values(Map.ofList values))
        |> Result.mapError (fun e -> WaitError.InvalidId(entry.Name, e.Describe()))

    let private taskStatus (queue: Queue) (taskId: string) : Check<TaskOutcome> =
        fun token ->
            task {
                let! r = queue.Typed.Status(taskId, cancellationToken = token)
                return r |> Result.map (fun s -> outcomeOf s.Status) |> Result.mapError WaitError.Queue
            }

    let forTask (queue: Queue) (options: WaitOptions) (taskId: string) (cancellationToken: CancellationToken) =
        match validId "taskId" taskId with
        | Error e -> Task.FromResult(Error e)
        | Ok() ->
            let check = taskStatus queue taskId

            let bindings () =
                [
                    QueueEventsReference.taskCompleted
                    QueueEventsReference.taskFailed
                    QueueEventsReference.taskException
                ]
                |> List.map (fun e -> bind e [ "taskId", taskId ])
                |> List.sequenceResultM

            // the message's own status answers; one that does not decode sends us to the queue
            let onMessage (m: PulseMessage) : Check<TaskOutcome> =
                fun token ->
                    match m.Body.TryGetProperty "status" with
                    | true, s ->
                        match TaskStatus.Decode JsonPath.Root s with
                        | Ok status -> Task.FromResult(Ok(outcomeOf status))
                        | Error _ -> check token
                    | _ -> check token

            run options $"task {taskId}" bindings check onMessage cancellationToken

    let private groupState (queue: Queue) (taskGroupId: string) : Check<TaskGroupOutcome> =
        fun token ->
            task {
                let tasks = ResizeArray()
                let mutable continuation = None
                let mutable failure = None
                let mutable more = true

                while more do
                    match!
                        queue.Typed.ListTaskGroup(
                            taskGroupId,
                            ?continuationToken = continuation,
                            cancellationToken = token
                        )
                    with
                    | Error e ->
                        failure <- Some e
                        more <- false
                    | Ok page ->
                        for t in page.Tasks do
                            tasks.Add(t.Status.TaskId, outcomeOf t.Status)

                        continuation <- page.ContinuationToken
                        more <- continuation.IsSome

                match failure with
                | Some e -> return Error(WaitError.Queue e)
                | None when tasks |> Seq.forall (fun (_, o) -> o.IsSome) ->
                    return
                        Ok(
                            Some
                                {
                                    TaskGroupId = taskGroupId
                                    Tasks = [ for id, o in tasks -> id, o.Value ]
                                }
                        )
                | None -> return Ok None
            }

    let forTaskGroup
        (queue: Queue)
        (options: WaitOptions)
        (taskGroupId: string)
        (cancellationToken: CancellationToken)
        =
        match validId "taskGroupId" taskGroupId with
        | Error e -> Task.FromResult(Error e)
        | Ok() ->
            let check = groupState queue taskGroupId

            let bindings () =
                bind QueueEventsReference.taskGroupResolved [ "taskGroupId", taskGroupId ]
                |> Result.map List.singleton

            // the message says the group has no unresolved task left: the queue gives each outcome
            run options $"task group {taskGroupId}" bindings check (fun _ -> check) cancellationToken
