namespace Taskcluster.Emulator

open System

[<RequireQualifiedAccess>]
type internal TargetKind =
    | Route of service: string * method: string
    | Blob of objectName: string

[<Sealed>]
type FaultTarget private (kind: TargetKind) =
    member internal _.Kind = kind

    static member Route(service: string, method: string) =
        if String.IsNullOrEmpty service || String.IsNullOrEmpty method then
            invalidArg "service" "service and method must not be empty (use * to match any)"

        FaultTarget(TargetKind.Route(service, method))

    static member Blob(objectName: string) =
        if String.IsNullOrEmpty objectName then
            invalidArg "objectName" "objectName must not be empty (use * to match any)"

        FaultTarget(TargetKind.Blob objectName)

    override _.ToString() =
        match kind with
        | TargetKind.Route(s, m) -> $"route {s}.{m}"
        | TargetKind.Blob n -> $"blob {n}"

[<RequireQualifiedAccess>]
type internal FaultKind =
    | Status of int
    | Delay of TimeSpan
    | Drop
    | Truncate of int
    | Corrupt
    | Expired
    | Pass

[<Sealed>]
type Fault private (kind: FaultKind) =
    member internal _.Kind = kind

    static member Status(statusCode: int) =
        if statusCode < 100 || statusCode > 599 then
            invalidArg "statusCode" $"statusCode must be an HTTP status (100-599), got {statusCode}"

        Fault(FaultKind.Status statusCode)

    static member Delay(delay: TimeSpan) =
        if delay < TimeSpan.Zero then
            invalidArg "delay" "delay must not be negative"

        Fault(FaultKind.Delay delay)

    static member DropConnection = Fault(FaultKind.Drop)

    static member TruncateBody(keepBytes: int) =
        if keepBytes < 0 then
            invalidArg "keepBytes" "keepBytes must not be negative"

        Fault(FaultKind.Truncate keepBytes)

    static member CorruptBytes = Fault(FaultKind.Corrupt)
    static member ExpiredUrl = Fault(FaultKind.Expired)
    static member Pass = Fault(FaultKind.Pass)

    override _.ToString() = sprintf "%A" kind

type private Rule =
    {
        Target: FaultTarget
        Fault: Fault
        mutable Remaining: int
        /// Matching requests to let through before the rule applies (its place in a schedule).
        mutable Skip: int
    }

[<Sealed>]
type FaultInjector internal () =
    let gate = obj ()
    let rules = ResizeArray<Rule>()

    let take (matches: FaultTarget -> bool) =
        lock gate (fun () ->
            if rules.Count = 0 then
                []
            else
                let hit =
                    [
                        for r in rules do
                            if r.Remaining > 0 && matches r.Target then
                                r
                    ]

                let applied = hit |> List.filter (fun r -> r.Skip = 0)

                for r in hit do
                    if r.Skip > 0 then
                        r.Skip <- r.Skip - 1
                    else
                        r.Remaining <- r.Remaining - 1

                rules.RemoveAll(fun r -> r.Remaining <= 0) |> ignore
                applied |> List.map (fun r -> r.Fault))

    let wild (pattern: string) (value: string) = pattern = "*" || pattern = value

    member _.Inject(target: FaultTarget, fault: Fault, count: int) =
        if isNull (box target) then
            nullArg "target"

        if isNull (box fault) then
            nullArg "fault"

        if count < 1 then
            invalidArg "count" $"count must be at least 1, got {count}"

        lock gate (fun () ->
            rules.Add
                {
                    Target = target
                    Fault = fault
                    Remaining = count
                    Skip = 0
                })

    member _.Schedule(target: FaultTarget, faults: Collections.Generic.IEnumerable<Fault>) =
        if isNull (box target) then
            nullArg "target"

        if isNull faults then
            nullArg "faults"

        let faults = List.ofSeq faults

        if faults |> List.exists (fun f -> isNull (box f)) then
            invalidArg "faults" "faults must not contain null (use Fault.Pass to let a request through)"

        lock gate (fun () ->
            faults
            |> List.iteri (fun i fault ->
                rules.Add
                    {
                        Target = target
                        Fault = fault
                        Remaining = 1
                        Skip = i
                    }))

    member this.FailNext(service, method, statusCode, count) =
        this.Inject(FaultTarget.Route(service, method), Fault.Status statusCode, count)

    member this.DelayNext(service, method, delay, count) =
        this.Inject(FaultTarget.Route(service, method), Fault.Delay delay, count)

    member this.DropNext(service, method, count) =
        this.Inject(FaultTarget.Route(service, method), Fault.DropConnection, count)

    member _.Clear() = lock gate (fun () -> rules.Clear())

    member _.Remaining = lock gate (fun () -> rules |> Seq.sumBy (fun r -> r.Remaining))

    member internal _.TakeRoute(service: string, method: string) =
        take (fun t ->
            match t.Kind with
            | TargetKind.Route(s, m) -> wild s service && wild m method
            | _ -> false)

    member internal _.TakeBlob(objectName: string) =
        take (fun t ->
            match t.Kind with
            | TargetKind.Blob n -> wild n objectName
            | _ -> false)

    member internal _.IsStatus(f: Fault) =
        match f.Kind with
        | FaultKind.Status s -> Some s
        | _ -> None

    member internal _.IsDelay(f: Fault) =
        match f.Kind with
        | FaultKind.Delay d -> Some d
        | _ -> None

    member internal _.IsDrop(f: Fault) = f.Kind = FaultKind.Drop

    member internal _.IsTruncate(f: Fault) =
        match f.Kind with
        | FaultKind.Truncate n -> Some n
        | _ -> None

    member internal _.IsCorrupt(f: Fault) = f.Kind = FaultKind.Corrupt
    member internal _.IsExpired(f: Fault) = f.Kind = FaultKind.Expired
