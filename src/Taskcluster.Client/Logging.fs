namespace Taskcluster.Client

open System
open Microsoft.Extensions.Logging
open Microsoft.Extensions.Logging.Abstractions

/// The debug output of `DEBUG_TASKCLUSTER_CLIENT`: one line per event on standard error.
[<Sealed>]
type internal ConsoleLogger() =
    static member val Instance = ConsoleLogger()

    interface ILogger with
        member _.BeginScope<'TState>(_state: 'TState) : IDisposable = null

        member _.IsEnabled(level) =
            level >= LogLevel.Debug && level <> LogLevel.None

        member this.Log<'TState>
            (level: LogLevel, _eventId: EventId, state: 'TState, error: exn, formatter: Func<'TState, exn, string>)
            =
            if (this :> ILogger).IsEnabled level then
                let text = formatter.Invoke(state, error)
                Console.Error.WriteLine($"taskcluster-client {level}: {text}")

/// Every log line the client writes. Messages are built from the method name, the HTTP method,
/// the URL (which never carries credentials), statuses, delays and error descriptions: never
/// from headers, tokens, signatures, certificates or signed URLs.
[<RequireQualifiedAccess>]
module internal Log =
    /// The logger to use: the caller's, else the console when `DEBUG_TASKCLUSTER_CLIENT` is set,
    /// else none.
    let resolve (logger: ILogger option) (getEnv: string -> string option) : ILogger =
        match logger with
        | Some l when not (isNull l) -> l
        | _ ->
            match getEnv Options.DebugVariable with
            | Some v when not (String.IsNullOrEmpty v) -> ConsoleLogger.Instance :> ILogger
            | _ -> NullLogger.Instance :> ILogger

    let private sending =
        LoggerMessage.Define<string, string, string, int>(
            LogLevel.Debug,
            EventId(1, "Sending"),
            "Calling {Name}: {Method} {Url} (attempt {Attempt})"
        )

    let private succeeded =
        LoggerMessage.Define<string, int, int>(
            LogLevel.Debug,
            EventId(2, "Succeeded"),
            "{Name} answered {Status} after {Attempts} attempt(s)"
        )

    let private retrying =
        LoggerMessage.Define<string, string, int, TimeSpan>(
            LogLevel.Information,
            EventId(3, "Retrying"),
            "{Name} failed ({Reason}); retry {Retry} in {Delay}"
        )

    let private clockSkew =
        LoggerMessage.Define<string, TimeSpan>(
            LogLevel.Warning,
            EventId(4, "ClockSkew"),
            "{Name} was refused for a stale timestamp; signing with a clock offset of {Offset} from now on"
        )

    let private failed =
        LoggerMessage.Define<string, string>(LogLevel.Debug, EventId(5, "Failed"), "{Name} failed: {Error}")

    let private signedUrl =
        LoggerMessage.Define<string, DateTimeOffset>(
            LogLevel.Debug,
            EventId(6, "SignedUrl"),
            "Built a signed URL for {Name}, valid until {Expiry}"
        )

    let sendingRequest (logger: ILogger) name (httpMethod: string) (url: string) attempt =
        if logger.IsEnabled LogLevel.Debug then
            sending.Invoke(logger, name, httpMethod, url, attempt, null)

    let requestSucceeded (logger: ILogger) name status attempts =
        if logger.IsEnabled LogLevel.Debug then
            succeeded.Invoke(logger, name, status, attempts, null)

    let retryingRequest (logger: ILogger) name reason retry delay =
        if logger.IsEnabled LogLevel.Information then
            retrying.Invoke(logger, name, reason, retry, delay, null)

    let correctingClock (logger: ILogger) name offset =
        clockSkew.Invoke(logger, name, offset, null)

    let requestFailed (logger: ILogger) name (error: TaskclusterError) =
        if logger.IsEnabled LogLevel.Debug then
            failed.Invoke(logger, name, error.Describe(), null)

    let builtSignedUrl (logger: ILogger) name expiry =
        if logger.IsEnabled LogLevel.Debug then
            signedUrl.Invoke(logger, name, expiry, null)
