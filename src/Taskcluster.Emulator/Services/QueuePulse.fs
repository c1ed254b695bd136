/// The queue's Pulse messages, built as the real queue builds them: the task status, the run's
/// id and worker, the task's tags, and the task's routes as CCs.
module internal Taskcluster.Emulator.Services.QueuePulse

open System.Text.Json.Nodes
open Taskcluster.Emulator.Internal

let private routes (definition: JsonNode) =
    J.tryStrings "routes" definition |> Option.defaultValue []

/// The message and routing-key values of a task transition, as the real queue builds them.
let private taskMessage
    (definition: JsonNode)
    (status: JsonNode)
    (run: RunRec option)
    (withWorker: bool)
    (withTags: bool)
    (extra: (string * JsonNode) list)
    =
    let worker =
        match run with
        | Some r when withWorker && not (isNull r.WorkerGroup) ->
            [ "workerGroup", r.WorkerGroup; "workerId", r.WorkerId ]
        | _ -> []

    let message =
        J.obj
            [
                yield "status", status

                match run with
                | Some r -> yield "runId", J.int r.RunId
                | None -> ()

                for k, v in worker do
                    yield k, J.str v

                if withTags then
                    yield "task", J.obj [ "tags", J.clone definition["tags"] ]

                yield! extra
            ]

    // the real queue's routing-key builder reads the status and the message's run fields
    let routing =
        Map.ofList
            [
                for k in [ "taskId"; "provisionerId"; "workerType"; "schedulerId"; "taskGroupId" ] do
                    yield k, J.string k status

                match run with
                | Some r -> yield "runId", string r.RunId
                | None -> ()

                yield! worker
            ]

    message, routing

/// Announces a task transition on `exchange` (e.g. `task-running`): `status` gives the task's
/// status after it; `run` the run concerned; `withWorker` adds the run's worker (when it has
/// one); `withTags` adds `task.tags`; `extra` the exchange's own members. Builds nothing when
/// the emulator publishes nowhere.
let task
    (q: QueueStore)
    (exchange: string)
    (definition: JsonNode)
    (status: unit -> JsonNode)
    (run: RunRec option)
    (withWorker: bool)
    (withTags: bool)
    (extra: unit -> (string * JsonNode) list)
    =
    match q.Announce with
    | None -> ()
    | Some announce ->
        let message, routing =
            taskMessage definition (status ()) run withWorker withTags (extra ())

        announce exchange routing (routes definition) message

/// Announces that a task group has no unresolved task left (`task-group-resolved`).
let groupResolved (q: QueueStore) (taskGroupId: string) (schedulerId: string) (expires: unit -> JsonNode) =
    match q.Announce with
    | None -> ()
    | Some announce ->
        announce
            "task-group-resolved"
            (Map.ofList [ "taskGroupId", taskGroupId; "schedulerId", schedulerId ])
            []
            (J.obj
                [
                    "taskGroupId", J.str taskGroupId
                    "schedulerId", J.str schedulerId
                    "expires", expires ()
                ])

/// Announces a change of a whole task group on `exchange` (`task-group-sealed`,
/// `task-group-priority-changed`): the group's ids and the exchange's own members.
let group
    (q: QueueStore)
    (exchange: string)
    (taskGroupId: string)
    (schedulerId: string)
    (members: unit -> (string * JsonNode) list)
    =
    match q.Announce with
    | None -> ()
    | Some announce ->
        announce
            exchange
            (Map.ofList [ "taskGroupId", taskGroupId; "schedulerId", schedulerId ])
            []
            (J.obj (
                [ "taskGroupId", J.str taskGroupId; "schedulerId", J.str schedulerId ]
                @ members ()
            ))
