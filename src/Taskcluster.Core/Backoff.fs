namespace Taskcluster.Core

open System
open System.Globalization

[<RequireQualifiedAccess>]
type BackoffError =
    | NegativeBaseDelay of baseDelay: TimeSpan
    | InvalidFactor of factor: float
    | InvalidRandomizationFactor of randomizationFactor: float
    | NegativeMaxDelay of maxDelay: TimeSpan

    member this.Describe() =
        let show (f: float) =
            f.ToString("R", CultureInfo.InvariantCulture)

        match this with
        | NegativeBaseDelay d -> $"the base delay {d} is negative"
        | InvalidFactor f -> $"the backoff factor {show f} must be a finite number of at least 1"
        | InvalidRandomizationFactor f -> $"the randomization factor {show f} must be at least 0 and below 1"
        | NegativeMaxDelay d -> $"the maximum delay {d} is negative"

type BackoffOptions =
    {
        BaseDelay: TimeSpan
        Factor: float
        RandomizationFactor: float
        MaxDelay: TimeSpan
    }

[<Sealed>]
type Backoff internal (options: BackoffOptions) =
    member _.Options = options

[<RequireQualifiedAccess>]
module Backoff =
    let defaultOptions =
        {
            BaseDelay = TimeSpan.FromMilliseconds 100L
            Factor = 2.0
            RandomizationFactor = 0.25
            MaxDelay = TimeSpan.FromSeconds 30L
        }

    let create (options: BackoffOptions) =
        if options.BaseDelay < TimeSpan.Zero then
            Error(BackoffError.NegativeBaseDelay options.BaseDelay)
        elif not (Double.IsFinite options.Factor) || options.Factor < 1.0 then
            Error(BackoffError.InvalidFactor options.Factor)
        elif
            Double.IsNaN options.RandomizationFactor
            || options.RandomizationFactor < 0.0
            || options.RandomizationFactor >= 1.0
        then
            Error(BackoffError.InvalidRandomizationFactor options.RandomizationFactor)
        elif options.MaxDelay < TimeSpan.Zero then
            Error(BackoffError.NegativeMaxDelay options.MaxDelay)
        else
            Ok(Backoff options)

    let defaults = Backoff defaultOptions

    /// The capped delay in ticks for a multiplier of the uncapped curve. Works in floating
    /// point, where a huge attempt becomes +infinity and the cap takes over, instead of
    /// overflowing an integer power.
    let private delayTicks (backoff: Backoff) (attempt: int) (multiplier: float) =
        let o = backoff.Options
        let cap = o.MaxDelay.Ticks

        if attempt <= 0 || o.BaseDelay.Ticks = 0L || cap = 0L then
            0L
        else
            let raw =
                float o.BaseDelay.Ticks * Math.Pow(o.Factor, float (attempt - 1)) * multiplier

            // `float cap` may round up past Int64.MaxValue; compare before converting back.
            if raw >= float cap then
                cap
            else
                min cap (int64 (Math.Round raw))

    let baseDelay (backoff: Backoff) (attempt: int) =
        TimeSpan(delayTicks backoff attempt 1.0)

    let calculateSleepTime (backoff: Backoff) (attempt: int) (random: float) =
        let r =
            if Double.IsNaN random then
                0.5
            else
                Math.Clamp(random, 0.0, 1.0)

        let multiplier = 1.0 + (2.0 * r - 1.0) * backoff.Options.RandomizationFactor
        TimeSpan(delayTicks backoff attempt multiplier)
