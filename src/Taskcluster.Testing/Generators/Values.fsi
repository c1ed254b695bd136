namespace Taskcluster.Testing

open FsCheck

/// FsCheck generators for the small values of Taskcluster: slugIds, UUIDs, fromNow offsets (as
/// values and as text, canonical or messily spelled), durations and instants.
[<RequireQualifiedAccess>]
module Values =

    /// 16 arbitrary bytes, what a random source hands to `SlugId.v4` or `SlugId.nice`.
    val randomBytes: Gen<byte array>

    /// UUIDs with all 128 bits arbitrary (not only version 4), with the nil UUID now and then.
    val guid: Gen<System.Guid>

    /// The slugIds of arbitrary UUIDs: any 22-character canonical slug, possibly starting with `-`.
    val slugId: Gen<Taskcluster.Core.SlugId>

    /// Version-4 slugIds, as `SlugId.v4` makes them.
    val slugIdV4: Gen<Taskcluster.Core.SlugId>

    /// Nice slugIds (version 4, first character in `[A-Za-f]`), as the official clients make them.
    val slugIdNice: Gen<Taskcluster.Core.SlugId>

    /// fromNow offsets of every shape (any sign, any subset of units), all of which can be applied
    /// to every instant of `instant` without leaving the years 0001-9999.
    val offset: Gen<Taskcluster.Core.Offset>

    /// Offsets in their canonical spelling (`FromNow.render`), e.g. `-2d 3h 10min`.
    val offsetText: Gen<string>

    /// Messy spellings of the given offset that the JS client reads as that offset: any unit
    /// spelling in any case, whitespace (of several kinds) anywhere between tokens or none, an
    /// optional `+`, leading zeros, and zero counts written out or left out.
    val spell: offset: Taskcluster.Core.Offset -> Gen<string>

    /// Offsets paired with one of their messy spellings (see `spell`).
    val messyOffset: Gen<Taskcluster.Core.Offset * string>

    /// Messily spelled offset text (see `spell`).
    val messyOffsetText: Gen<string>

    /// Non-negative durations in whole milliseconds, up to 1,000 days (zero now and then).
    val duration: Gen<System.TimeSpan>

    /// UTC instants in whole milliseconds between 1900 and 2200, as JS dates carry them.
    val instant: Gen<System.DateTimeOffset>
