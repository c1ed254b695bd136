namespace Taskcluster.Core

open System
open System.Buffers

/// A scratch buffer of `size` elements: the caller's stack space when it is big enough (the
/// caller stackallocs `Scratch.StackSize size`: a helper cannot stackalloc for its caller),
/// else an array rented from the shared pool and given back by `Return`. Either way its
/// contents start unspecified: only what was written is ever read.
[<Struct; System.Runtime.CompilerServices.IsByRefLike>]
type internal Scratch<'T> =
    val Buffer: Span<'T>
    val private rented: 'T array

    new(stack: Span<'T>, size: int) =
        if size <= stack.Length then
            {
                Buffer = stack.Slice(0, size)
                rented = null
            }
        else
            let rented = ArrayPool<'T>.Shared.Rent size

            {
                Buffer = Span<'T>(rented, 0, size)
                rented = rented
            }

    /// The elements most worth taking from the stack; bigger buffers are rented.
    static member Limit = 1024

    /// How much stack to allocate for a scratch buffer of `size` elements: all of it when it
    /// is within the limit, else none.
    static member StackSize(size: int) =
        if size > Scratch<'T>.Limit then 0 else size

    /// Gives a rented array back to the pool.
    member this.Return() =
        if not (isNull this.rented) then
            ArrayPool<'T>.Shared.Return this.rented
