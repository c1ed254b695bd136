namespace Taskcluster.Client

open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

/// An `IAsyncEnumerable` built from a function that produces the next element.
[<Sealed>]
type internal AsyncSequence<'T> =
    /// Each enumeration calls `start` for fresh state, then the function it returns until it
    /// gives `ValueNone`.
    new: start: (unit -> (CancellationToken -> Task<'T voption>)) -> AsyncSequence<'T>
    interface IAsyncEnumerable<'T>

/// F# helpers over the lazy sequences of pages and items that `Client.pages` and `Client.items`
/// return (`IAsyncEnumerable<Result<'T, 'E>>`, which ends after its first error). With
/// FSharp.Control.TaskSeq those sequences can also be used directly in a `taskSeq { }`.
[<RequireQualifiedAccess>]
module Pages =
    /// Every element until the end, or the first error.
    val toList:
        source: IAsyncEnumerable<Result<'T, 'E>> -> cancellationToken: CancellationToken -> Task<Result<'T list, 'E>>

    /// Calls `action` on every element in order, stopping at the first error.
    val iter:
        action: ('T -> Task<unit>) ->
        source: IAsyncEnumerable<Result<'T, 'E>> ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, 'E>>

    /// Folds every element in order, stopping at the first error.
    val fold:
        folder: ('State -> 'T -> 'State) ->
        state: 'State ->
        source: IAsyncEnumerable<Result<'T, 'E>> ->
        cancellationToken: CancellationToken ->
            Task<Result<'State, 'E>>
