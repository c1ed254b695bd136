using System.Diagnostics.CodeAnalysis;

namespace Taskcluster;

/// <summary>
/// The outcome of a Taskcluster call: a value, or the <see cref="TaskclusterError"/> saying why
/// the call failed. Failed calls are values, not exceptions; use <see cref="Match{TResult}"/>,
/// <see cref="TryGetValue"/>, or <see cref="GetValueOrThrow"/> where an exception suits better.
/// </summary>
/// <typeparam name="T">The value of a successful call.</typeparam>
public sealed class TaskclusterResult<T>
{
    private readonly T _value;

    internal TaskclusterResult(T value)
    {
        _value = value;
    }

    internal TaskclusterResult(TaskclusterError error)
    {
        _value = default!;
        Error = error;
    }

    /// <summary>Whether the call succeeded (then <see cref="Error"/> is null).</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>The value of a successful call.</summary>
    /// <exception cref="InvalidOperationException">The call failed (the inner exception is a <see cref="TaskclusterException"/>).</exception>
    public T Value =>
        IsSuccess
            ? _value
            : throw new InvalidOperationException(
                "The call failed; check IsSuccess before reading Value: " + Error.Description,
                new TaskclusterException(Error));

    /// <summary>Why the call failed, or null when it succeeded.</summary>
    public TaskclusterError? Error { get; }

    /// <summary>The value, when the call succeeded.</summary>
    /// <param name="value">The value, or the default when the call failed.</param>
    /// <returns>Whether the call succeeded.</returns>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return IsSuccess;
    }

    /// <summary>One of two functions, depending on the outcome.</summary>
    /// <typeparam name="TResult">What both functions return.</typeparam>
    /// <param name="onSuccess">Called with the value of a successful call.</param>
    /// <param name="onError">Called with the error of a failed call.</param>
    /// <returns>What the function called returned.</returns>
    public TResult Match<TResult>(Func<T, TResult> onSuccess, Func<TaskclusterError, TResult> onError)
    {
        ArgumentNullException.ThrowIfNull(onSuccess);
        ArgumentNullException.ThrowIfNull(onError);
        return IsSuccess ? onSuccess(_value) : onError(Error);
    }

    /// <summary>The result with the value transformed (a failure stays the same failure).</summary>
    /// <typeparam name="TResult">The new value's type.</typeparam>
    /// <param name="map">Transforms the value.</param>
    /// <returns>The transformed result.</returns>
    public TaskclusterResult<TResult> Map<TResult>(Func<T, TResult> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return IsSuccess ? new TaskclusterResult<TResult>(map(_value)) : new TaskclusterResult<TResult>(Error);
    }

    /// <summary>Chains a step that may fail itself (a failure stays the same failure).</summary>
    /// <typeparam name="TResult">The next step's value type.</typeparam>
    /// <param name="bind">The next step.</param>
    /// <returns>The next step's result, or this failure.</returns>
    public TaskclusterResult<TResult> Bind<TResult>(Func<T, TaskclusterResult<TResult>> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        return IsSuccess ? bind(_value) : new TaskclusterResult<TResult>(Error);
    }

    /// <summary>The value of a successful call.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="TaskclusterException">The call failed.</exception>
    public T GetValueOrThrow() => IsSuccess ? _value : throw new TaskclusterException(Error);

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"Success({_value})" : $"Error({Error.Description})";
}

/// <summary>Making results (test doubles of the clients need successful and failed ones).</summary>
public static class TaskclusterResult
{
    /// <summary>A successful result.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The result.</returns>
    public static TaskclusterResult<T> Success<T>(T value) => new(value);

    /// <summary>A failed result, e.g. for a test double that mocks a failed call.</summary>
    /// <typeparam name="T">The value type of a successful call.</typeparam>
    /// <param name="error">Why the call failed (make one with <see cref="TaskclusterError(TaskclusterErrorKind, string)"/>).</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public static TaskclusterResult<T> Failure<T>(TaskclusterError error) =>
        new(error ?? throw new ArgumentNullException(nameof(error)));
}
