namespace Taskcluster.Emulator

open System

/// What a programmed fault applies to: the calls of an API method, or the requests to
/// emulator-hosted blob URLs of an object.
[<Sealed>]
type FaultTarget =
    /// Calls of one API method, e.g. `FaultTarget.Route("queue", "createTask")`; `*` as the
    /// service or the method matches any.
    static member Route: service: string * method: string -> FaultTarget
    /// Requests to blob URLs (uploads and downloads) of the named object, or `*` for any.
    /// Queue `s3` artifacts are objects named `<taskId>/<runId>/<artifact name>`.
    static member Blob: objectName: string -> FaultTarget
    override ToString: unit -> string

/// What happens to a request hit by a fault.
[<Sealed>]
type Fault =
    /// Answer this status code (with a Taskcluster-style error body) instead of handling it.
    static member Status: statusCode: int -> Fault
    /// Wait this long before handling the request (combines with the other faults).
    static member Delay: delay: TimeSpan -> Fault
    /// Close the connection without answering.
    static member DropConnection: Fault
    /// Announce the full body length but send only its first `keepBytes` bytes, then close.
    static member TruncateBody: keepBytes: int -> Fault
    /// Blob downloads only: flip bits in the bytes sent (the length stays right).
    static member CorruptBytes: Fault
    /// Blob URLs only: treat the URL as expired even though it is still valid.
    static member ExpiredUrl: Fault
    /// No fault: the request is handled normally (a gap in a `Schedule`).
    static member Pass: Fault
    override ToString: unit -> string

/// Programs faults into a running emulator: each applies to the next `count` matching
/// requests, then is spent. Thread-safe.
[<Sealed>]
type FaultInjector =
    internal new: unit -> FaultInjector

    /// Applies the fault to the next `count` requests the target matches.
    member Inject: target: FaultTarget * fault: Fault * count: int -> unit

    /// Applies the faults to the next requests the target matches, one request each, in order
    /// (`Fault.Pass` lets a request through): a schedule such as 503, drop, pass, corrupt.
    member Schedule: target: FaultTarget * faults: System.Collections.Generic.IEnumerable<Fault> -> unit

    /// Shorthand: the next `count` calls of the method answer `statusCode`.
    member FailNext: service: string * method: string * statusCode: int * count: int -> unit

    /// Shorthand: the next `count` calls of the method wait `delay` first.
    member DelayNext: service: string * method: string * delay: TimeSpan * count: int -> unit

    /// Shorthand: the next `count` calls of the method lose their connection.
    member DropNext: service: string * method: string * count: int -> unit

    /// Forgets every programmed fault.
    member Clear: unit -> unit

    /// How many fault applications are still programmed.
    member Remaining: int

    member internal TakeRoute: service: string * method: string -> Fault list
    member internal TakeBlob: objectName: string -> Fault list

    member internal IsStatus: Fault -> int option
    member internal IsDelay: Fault -> TimeSpan option
    member internal IsDrop: Fault -> bool
    member internal IsTruncate: Fault -> int option
    member internal IsCorrupt: Fault -> bool
    member internal IsExpired: Fault -> bool
