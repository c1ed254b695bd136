namespace Taskcluster.Emulator

open System

[<Sealed; AllowNullLiteral>]
type EmulatorOptions() =
    member val Port = 0 with get, set
    member val RootClientId = "static/taskcluster/root" with get, set
    member val RootAccessToken: string = null with get, set
    member val TimeProvider = TimeProvider.System with get, set
    member val Random: Random = null with get, set
    member val MaxRequestBodyBytes = 10L * 1024L * 1024L with get, set
    member val MaxRequestHeadersBytes = 32 * 1024 with get, set
    member val MaxBlobBytes = 1024L * 1024L * 1024L with get, set
    member val BlobUrlLifetime = TimeSpan.FromHours 1.0 with get, set
    member val BlobDirectory: string = null with get, set
    member val MaxPageSize = 1000 with get, set
    member val Logger: Microsoft.Extensions.Logging.ILogger = null with get, set
    member val PulseUrl: string = null with get, set

    member this.Validate() : Collections.Generic.IReadOnlyList<string> =
        [|
            if this.Port < 0 || this.Port > 65535 then
                $"Port must be between 0 and 65535, got {this.Port}"
            if String.IsNullOrEmpty this.RootClientId then
                "RootClientId must not be empty"
            if not (isNull this.RootAccessToken) && this.RootAccessToken.Length = 0 then
                "RootAccessToken must not be empty (leave it null to draw one)"
            if isNull this.TimeProvider then
                "TimeProvider must not be null"
            if this.MaxRequestBodyBytes < 1024L then
                $"MaxRequestBodyBytes must be at least 1024, got {this.MaxRequestBodyBytes}"
            if this.MaxRequestHeadersBytes < 1024 then
                $"MaxRequestHeadersBytes must be at least 1024, got {this.MaxRequestHeadersBytes}"
            if this.MaxBlobBytes < 0L then
                $"MaxBlobBytes must not be negative, got {this.MaxBlobBytes}"
            if this.BlobUrlLifetime <= TimeSpan.Zero then
                $"BlobUrlLifetime must be positive, got {this.BlobUrlLifetime}"
            if this.MaxPageSize < 1 then
                $"MaxPageSize must be at least 1, got {this.MaxPageSize}"
            if not (isNull this.PulseUrl) then
                match Uri.TryCreate(this.PulseUrl, UriKind.Absolute) with
                | true, u when u.Scheme = "amqp" || u.Scheme = "amqps" -> ()
                | true, u -> $"PulseUrl must be an amqp:// or amqps:// URL, got the scheme '{u.Scheme}'"
                // the text itself may hold a password, so it is not repeated
                | _ -> "PulseUrl is not an absolute URL"
        |]
