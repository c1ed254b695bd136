namespace Taskcluster.Testing

open FsCheck

/// FsCheck generators of JSON that is valid for a JSON schema, for the draft-06 keywords the
/// Taskcluster schemas use: `$ref` (relative to each schema's `$id`), `type`, `properties`,
/// `required`, `additionalProperties`, `dependencies`, `items`, `minItems`/`maxItems`,
/// `uniqueItems`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `minimum`/`maximum`, `multipleOf`,
/// `minLength`/`maxLength`, `pattern` (the regular-expression subset below) and the formats
/// `date-time`, `uri`, `email`, `hostname`, `ipv4`, `ipv6` and `regex`. Values are valid by
/// construction except where alternatives of a `oneOf` overlap; check them with a validator.
[<RequireQualifiedAccess>]
module SchemaJson =

    /// The location a `$ref` inside the document `baseId` points to.
    val resolveRef: baseId: string -> reference: string -> string

    /// The schema at a location (`$id` then a JSON pointer) of a bundle, if there is one.
    val tryResolve: bundle: Map<string, Taskcluster.Core.Json> -> location: string -> Taskcluster.Core.Json option

    /// Strings that a regular expression (the subset described above) matches in full.
    val matching: pattern: string -> Gen<string>

    /// Any JSON value, small: for schemas that allow anything.
    val anyValue: Gen<Taskcluster.Core.Json>

    /// JSON valid for the schema at `location` (`$id` then a JSON pointer) of a bundle of schemas
    /// keyed by `$id`, e.g. `/schemas/queue/v1/task.json#` or `…/multiuser_posix.json#/definitions/mount`.
    val valid: bundle: Map<string, Taskcluster.Core.Json> -> location: string -> Gen<Taskcluster.Core.Json>
