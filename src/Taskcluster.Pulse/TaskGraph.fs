namespace Taskcluster.Pulse

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services

type GraphTask =
    {
        Label: string
        DependsOn: string list
        Definition: CreateTaskRequest
    }

type PlannedTask =
    {
        Label: string
        TaskId: string
        Definition: CreateTaskRequest
    }

[<RequireQualifiedAccess>]
type TaskGraphError =
    | DuplicateLabel of label: string
    | UnknownLabel of label: string * dependsOn: string
    | Cycle of labels: string list
    | InvalidTaskId of label: string * taskId: string
    | InvalidConcurrency of value: int
    | CreateFailed of label: string * taskId: string * error: TaskclusterError * created: (string * string) list

    member this.Describe() =
        match this with
        | DuplicateLabel l -> $"two tasks are labelled '{l}'"
        | UnknownLabel(l, d) -> $"task '{l}' depends on '{d}', which is not in the graph"
        | Cycle ls -> let path = String.Join(" -> ", ls) in $"the tasks depend on each other in a circle: {path}"
        | InvalidTaskId(l, id) -> $"the taskId '{id}' given to task '{l}' is not a slugId"
        | InvalidConcurrency n -> $"MaxConcurrency must be at least 1, got {n}"
        | CreateFailed(l, id, e, created) ->
            $"creating task '{l}' ({id}) failed after {created.Length} other(s) were created: {e}"

[<NoEquality; NoComparison>]
type TaskGraphOptions =
    {
        TaskIdOf: string -> string
        MaxConcurrency: int
    }

[<RequireQualifiedAccess>]
module TaskGraph =
    let defaults () =
        let stable = Helpers.stableSlugId ()

        {
            TaskIdOf = fun label -> (stable label).Value
            MaxConcurrency = 4
        }

    /// Depth-first topological order; the first back edge found is the cycle reported.
    let private order (graph: GraphTask list) =
        let byLabel = Dictionary<string, GraphTask>(StringComparer.Ordinal)
        let mutable problem = None

        for t in graph do
            if problem.IsNone then
                if byLabel.ContainsKey t.Label then
                    problem <- Some(TaskGraphError.DuplicateLabel t.Label)
                else
                    byLabel[t.Label] <- t

        for t in graph do
            for d in t.DependsOn do
                if problem.IsNone && not (byLabel.ContainsKey d) then
                    problem <- Some(TaskGraphError.UnknownLabel(t.Label, d))

        match problem with
        | Some p -> Error p
        | None ->
            // 1: on the current path, 2: done
            let state = Dictionary<string, int>(StringComparer.Ordinal)
            let sorted = ResizeArray<GraphTask>()
            let mutable cycle = None

            let rec visit (path: string list) (t: GraphTask) =
                if cycle.IsNone then
                    match state.TryGetValue t.Label with
                    | true, 2 -> ()
                    | true, _ ->
                        let circle =
                            t.Label :: (path |> List.takeWhile (fun l -> l <> t.Label)) @ [ t.Label ]

                        cycle <- Some(List.rev circle)
                    | _ ->
                        state[t.Label] <- 1

                        for d in t.DependsOn do
                            visit (t.Label :: path) byLabel[d]

                        state[t.Label] <- 2
                        sorted.Add t

            for t in graph do
                visit [] t

            match cycle with
            | Some c -> Error(TaskGraphError.Cycle c)
            | None -> Ok(List.ofSeq sorted)

    let plan (options: TaskGraphOptions) (graph: GraphTask list) =
        if options.MaxConcurrency < 1 then
            Error(TaskGraphError.InvalidConcurrency options.MaxConcurrency)
        else
            match order graph with
            | Error e -> Error e
            | Ok sorted ->
                let ids = Dictionary<string, string>(StringComparer.Ordinal)
                let mutable problem = None

                for t in sorted do
                    let id = options.TaskIdOf t.Label

                    match SlugId.parse id with
                    | Ok _ -> ids[t.Label] <- id
                    | Error _ ->
                        if problem.IsNone then
                            problem <- Some(TaskGraphError.InvalidTaskId(t.Label, (if isNull id then "null" else id)))

                match problem with
                | Some p -> Error p
                | None ->
                    Ok
                        [
                            for t in sorted ->
                                let own = t.Definition.Dependencies |> Option.defaultValue []
                                let deps = own @ [ for d in t.DependsOn -> ids[d] ] |> List.distinct

                                {
                                    Label = t.Label
                                    TaskId = ids[t.Label]
                                    Definition =
                                        { t.Definition with
                                            Dependencies =
                                                if deps.IsEmpty then
                                                    t.Definition.Dependencies
                                                else
                                                    Some deps
                                        }
                                }
                        ]

    let submit
        (queue: Queue)
        (options: TaskGraphOptions)
        (graph: GraphTask list)
        (cancellationToken: CancellationToken)
        =
        task {
            match plan options graph with
            | Error e -> return Error e
            | Ok planned ->
                use gate = new SemaphoreSlim(options.MaxConcurrency)
                let created = List<string * string>()
                let dependsOn = Dictionary<string, string list>(StringComparer.Ordinal)

                for t in graph do
                    dependsOn[t.Label] <- t.DependsOn

                // each task's creation waits for its dependencies' (the queue refuses a task whose
                // dependencies do not exist yet); plan order puts them first
                let creations =
                    Dictionary<string, Task<Result<unit, TaskGraphError>>>(StringComparer.Ordinal)

                for p in planned do
                    let before = [ for d in dependsOn[p.Label] -> creations[d] ]

                    creations[p.Label] <-
                        task {
                            let! results = Task.WhenAll before

                            match
                                results
                                |> Array.tryPick (function
                                    | Error e -> Some e
                                    | Ok() -> None)
                            with
                            | Some e -> return Error e
                            | None ->
                                do! gate.WaitAsync cancellationToken

                                try
                                    match! queue.Typed.CreateTask(p.TaskId, p.Definition, cancellationToken) with
                                    | Ok _ ->
                                        lock created (fun () -> created.Add((p.Label, p.TaskId)))
                                        return Ok()
                                    | Error e ->
                                        let soFar = lock created (fun () -> List.ofSeq created)
                                        return Error(TaskGraphError.CreateFailed(p.Label, p.TaskId, e, soFar))
                                finally
                                    gate.Release() |> ignore
                        }

                let! results = Task.WhenAll(creations.Values)

                match
                    results
                    |> Array.tryPick (function
                        | Error e -> Some e
                        | Ok() -> None)
                with
                | Some e -> return Error e
                | None -> return Ok planned
        }
