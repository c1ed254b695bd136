namespace Taskcluster.Core

open System

/// Why backoff options were refused.
[<RequireQualifiedAccess>]
type BackoffError =
    /// The first delay is negative.
    | NegativeBaseDelay of baseDelay: TimeSpan
    /// The growth factor is NaN, infinite or below 1 (delays would shrink).
    | InvalidFactor of factor: float
    /// The randomization factor is NaN or outside [0, 1) (the JS client's bounds).
    | InvalidRandomizationFactor of randomizationFactor: float
    /// The longest delay is negative.
    | NegativeMaxDelay of maxDelay: TimeSpan

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// The constants of the retry delay curve: retry n (1-based) waits
/// `min(MaxDelay, BaseDelay × Factor^(n−1) × (1 + (2r − 1) × RandomizationFactor))` for a random
/// r in [0, 1).
type BackoffOptions =
    {
        /// The delay before the first retry, before randomization (100 ms).
        BaseDelay: TimeSpan
        /// How much each retry's delay grows over the previous one (2).
        Factor: float
        /// The relative spread of the randomization: 0.25 gives ±25 % (0.25).
        RandomizationFactor: float
        /// The cap, applied after randomization as the official clients do (30 s).
        MaxDelay: TimeSpan
    }

/// Validated backoff options; the only way to get one is `Backoff.create` (or `Backoff.defaults`).
[<Sealed>]
type Backoff =
    /// The options, as validated.
    member Options: BackoffOptions

/// The official clients' retry delay, pure: the random number is an argument.
///
/// Python's and Go's `calculateSleepTime(attempt)` compute `2^(attempt−1) × 100 ms` for retry
/// `attempt` (1-based), randomize it by ±25 % and then cap it at 30 s; that is exactly
/// `calculateSleepTime defaults attempt r`. The JS client computes `2^attempt × 100 ms` after its
/// `attempt`-th try fails, i.e. its first retry waits 200 ms: use `BaseDelay = 200 ms` to match
/// it. All of them cap after randomizing, so delays at the cap are not spread.
[<RequireQualifiedAccess>]
module Backoff =
    /// 100 ms, factor 2, randomization 0.25, cap 30 s.
    val defaultOptions: BackoffOptions

    /// `defaultOptions`, validated.
    val defaults: Backoff

    /// Validates options: delays not negative, factor finite and at least 1, randomization in
    /// [0, 1).
    val create: options: BackoffOptions -> Result<Backoff, BackoffError>

    /// The delay before retry `attempt` (1-based) without randomization: the curve the random
    /// delays spread around, capped.
    val baseDelay: backoff: Backoff -> attempt: int -> TimeSpan

    /// `calculateSleepTime`: the delay before retry `attempt` (1-based) for a random number in
    /// [0, 1) (0.5 gives `baseDelay`). An attempt of 0 or less waits nothing; huge attempts
    /// give the cap. A random number outside [0, 1] is clamped into it, NaN counts as 0.5.
    val calculateSleepTime: backoff: Backoff -> attempt: int -> random: float -> TimeSpan
