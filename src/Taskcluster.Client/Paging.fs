namespace Taskcluster.Client

open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

[<Sealed>]
type internal AsyncSequenceEnumerator<'T>(next: CancellationToken -> Task<'T voption>, token: CancellationToken) =
    let mutable current = Unchecked.defaultof<'T>

    interface IAsyncEnumerator<'T> with
        member _.Current = current

        member _.MoveNextAsync() =
            ValueTask<bool>(
                task {
                    token.ThrowIfCancellationRequested()
                    let! item = (next token).ConfigureAwait(false)

                    match item with
                    | ValueSome value ->
                        current <- value
                        return true
                    | ValueNone ->
                        current <- Unchecked.defaultof<'T>
                        return false
                }
            )

        member _.DisposeAsync() = ValueTask.CompletedTask

[<Sealed>]
type internal AsyncSequence<'T>(start: unit -> (CancellationToken -> Task<'T voption>)) =
    interface IAsyncEnumerable<'T> with
        member _.GetAsyncEnumerator(token) =
            new AsyncSequenceEnumerator<'T>(start (), token)

[<RequireQualifiedAccess>]
module Pages =
    let fold
        (folder: 'State -> 'T -> 'State)
        (state: 'State)
        (source: IAsyncEnumerable<Result<'T, 'E>>)
        (cancellationToken: CancellationToken)
        =
        task {
            use enumerator = source.GetAsyncEnumerator(cancellationToken)

            let mutable acc = state
            let mutable result = ValueNone
            let! first = enumerator.MoveNextAsync().ConfigureAwait(false)
            let mutable more = first

            while more do
                match enumerator.Current with
                | Ok item ->
                    acc <- folder acc item
                    let! next = enumerator.MoveNextAsync().ConfigureAwait(false)
                    more <- next
                | Error e ->
                    result <- ValueSome(Error e)
                    more <- false

            return
                match result with
                | ValueSome r -> r
                | ValueNone -> Ok acc
        }

    let toList source cancellationToken =
        task {
            let! result = (fold (fun acc item -> item :: acc) [] source cancellationToken).ConfigureAwait(false)
            return result |> Result.map List.rev
        }

    let iter (action: 'T -> Task<unit>) (source: IAsyncEnumerable<Result<'T, 'E>>) cancellationToken =
        task {
            use enumerator = source.GetAsyncEnumerator(cancellationToken)

            let mutable result = Ok()
            let! first = enumerator.MoveNextAsync().ConfigureAwait(false)
            let mutable more = first

            while more do
                match enumerator.Current with
                | Ok item ->
                    do! (action item).ConfigureAwait(false)
                    let! next = enumerator.MoveNextAsync().ConfigureAwait(false)
                    more <- next
                | Error e ->
                    result <- Error e
                    more <- false

            return result
        }
