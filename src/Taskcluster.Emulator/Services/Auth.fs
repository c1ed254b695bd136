/// The auth service: clients, roles, scope expansion and the test endpoints.
module internal Taskcluster.Emulator.Services.Auth

open System
open System.Collections.Generic
open System.Text.Json.Nodes
open Taskcluster.Core
open Taskcluster.Emulator.Internal

let private clientJson (store: AuthStore) (c: ClientRec) =
    J.obj
        [
            "clientId", J.str c.ClientId
            "description", J.str c.Description
            "expires", J.time c.Expires
            "created", J.time c.Created
            "lastModified", J.time c.LastModified
            "lastDateUsed", J.time c.LastDateUsed
            "lastRotated", J.time c.LastRotated
            "deleteOnExpiration", J.bool c.DeleteOnExpiration
            "scopes", J.strs c.Scopes
            "expandedScopes", J.strs (if c.Disabled then [||] else store.Expand c.Scopes)
            "disabled", J.bool c.Disabled
        ]

let private roleJson (store: AuthStore) (r: RoleRec) =
    J.obj
        [
            "roleId", J.str r.RoleId
            "scopes", J.strs r.Scopes
            "description", J.str r.Description
            "created", J.time r.Created
            "lastModified", J.time r.LastModified
            "expandedScopes",
            J.strs (
                store.Expand [ "assume:" + r.RoleId ]
                |> Array.filter ((<>) ("assume:" + r.RoleId))
            )
        ]

let private scopesOf (name: string) (body: JsonNode) =
    J.tryStrings name body |> Option.defaultValue [] |> List.toArray

let private getClient (store: AuthStore) (clientId: string) =
    match store.TryClient clientId with
    | Some c -> c
    | None -> Fail.notFound $"Client with clientId '{clientId}' not found"

let listClients (call: Call) =
    let store = call.Env.Stores.Auth
    let prefix = call.Query "prefix" |> Option.defaultValue ""

    let items =
        store.Clients()
        |> Array.filter (fun c -> c.ClientId.StartsWith(prefix, StringComparison.Ordinal))
        |> Array.map (fun c -> c.ClientId, c)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "clients", J.arr (page |> List.map (clientJson store)) ])

let client (call: Call) =
    let store = call.Env.Stores.Auth
    Api.ok (clientJson store (getClient store (Api.param call "clientId")))

let createClient (call: Call) =
    let store = call.Env.Stores.Auth
    let clientId = Api.param call "clientId"
    let scopes = scopesOf "scopes" call.Body
    Api.authorizeWith call [ "scopes", J.strs scopes ]

    let body =
        lock store.Gate (fun () ->
            match store.TryClient clientId with
            | Some _ ->
                Fail.conflict
                    "client with same clientId already exists, possibly an issue with retry logic or lost reply"
            | None ->
                let c =
                    {
                        ClientId = clientId
                        Description = J.string "description" call.Body
                        AccessToken = call.Env.Random.AccessToken()
                        Scopes = Scopes.normalize scopes
                        Expires = J.time' "expires" call.Body
                        Created = call.Now
                        LastModified = call.Now
                        LastDateUsed = call.Now
                        LastRotated = call.Now
                        Disabled = false
                        DeleteOnExpiration =
                            match J.tryField "deleteOnExpiration" call.Body with
                            | Some v -> v.GetValue<bool>()
                            | None -> false
                    }

                let body = clientJson store c :?> JsonObject
                body["accessToken"] <- J.str c.AccessToken
                // stored only if every read of it can be answered
                Api.mustAnswer call "createClient" body
                Api.mustAnswer call "client" (clientJson store c)
                store.PutClient c
                body)

    Api.ok body

let updateClient (call: Call) =
    let store = call.Env.Stores.Auth
    let clientId = Api.param call "clientId"

    let c =
        lock store.Gate (fun () ->
            let old = getClient store clientId
            let scopes = scopesOf "scopes" call.Body |> Scopes.normalize
            let added = scopes |> Array.filter (fun s -> not (Array.contains s old.Scopes))
            Api.authorizeWith call [ "scopesAdded", J.strs added ]

            let c =
                { old with
                    Description = J.string "description" call.Body
                    Scopes = scopes
                    Expires = J.time' "expires" call.Body
                    LastModified = call.Now
                    DeleteOnExpiration =
                        match J.tryField "deleteOnExpiration" call.Body with
                        | Some v -> v.GetValue<bool>()
                        | None -> old.DeleteOnExpiration
                }

            Api.mustAnswer call "updateClient" (clientJson store c)
            store.PutClient c
            c)

    Api.ok (clientJson store c)

let private setDisabled (disabled: bool) (call: Call) =
    let store = call.Env.Stores.Auth

    let c =
        lock store.Gate (fun () ->
            let c =
                { getClient store (Api.param call "clientId") with
                    Disabled = disabled
                    LastModified = call.Now
                }

            store.PutClient c
            c)

    Api.ok (clientJson store c)

let enableClient call = setDisabled false call
let disableClient call = setDisabled true call

let deleteClient (call: Call) =
    call.Env.Stores.Auth.RemoveClient(Api.param call "clientId") |> ignore
    Api.empty ()

let resetAccessToken (call: Call) =
    let store = call.Env.Stores.Auth

    let c =
        lock store.Gate (fun () ->
            let c =
                { getClient store (Api.param call "clientId") with
                    AccessToken = call.Env.Random.AccessToken()
                    LastRotated = call.Now
                    LastModified = call.Now
                }

            store.PutClient c
            c)

    let body = clientJson store c :?> JsonObject
    body["accessToken"] <- J.str c.AccessToken
    Api.ok body

let private getRole (store: AuthStore) (roleId: string) =
    match store.TryRole roleId with
    | Some r -> r
    | None -> Fail.notFound $"Role with roleId '{roleId}' not found"

let listRoles (call: Call) =
    let store = call.Env.Stores.Auth
    Api.ok (J.arr (store.Roles() |> Seq.map (roleJson store)))

let listRoles2 (call: Call) =
    let store = call.Env.Stores.Auth
    let page, token = Api.page call (store.Roles() |> Array.map (fun r -> r.RoleId, r))
    Api.ok (Api.withToken token [ "roles", J.arr (page |> List.map (roleJson store)) ])

let listRoleIds (call: Call) =
    let store = call.Env.Stores.Auth

    let page, token =
        Api.page call (store.Roles() |> Array.map (fun r -> r.RoleId, r.RoleId))

    Api.ok (Api.withToken token [ "roleIds", J.strs page ])

let role (call: Call) =
    let store = call.Env.Stores.Auth
    Api.ok (roleJson store (getRole store (Api.param call "roleId")))

let private writeRole (call: Call) (create: bool) =
    let store = call.Env.Stores.Auth
    let roleId = Api.param call "roleId"
    let scopes = scopesOf "scopes" call.Body |> Scopes.normalize
    let description = J.string "description" call.Body

    match Role.create roleId scopes with
    | Error e -> Fail.input (e.Describe())
    | Ok _ -> ()

    let r =
        lock store.Gate (fun () ->
            let existing = store.TryRole roleId

            match existing, create with
            | Some old, true when old.Scopes = scopes && old.Description = description -> old
            | Some _, true -> Fail.conflict $"Role with roleId '{roleId}' already exists"
            | None, false -> Fail.notFound $"Role with roleId '{roleId}' not found"
            | _ ->
                let added =
                    match existing with
                    | Some old -> scopes |> Array.filter (fun s -> not (Array.contains s old.Scopes))
                    | None -> scopes

                Api.authorizeWith call [ "scopes", J.strs scopes; "scopesAdded", J.strs added ]

                let r =
                    {
                        RoleId = roleId
                        Description = description
                        Scopes = scopes
                        Created =
                            match existing with
                            | Some old -> old.Created
                            | None -> call.Now
                        LastModified = call.Now
                    }

                // the stored fields must make a valid answer (the expansion is the one before
                // the change: it is computed from the roles, not stored)
                Api.mustAnswer call "role" (roleJson store r)

                match store.ChangeRole(roleId, Some r) with
                | Ok() -> r
                | Error message -> Fail.input message)

    Api.ok (roleJson store r)

let createRole call = writeRole call true
let updateRole call = writeRole call false

let deleteRole (call: Call) =
    match call.Env.Stores.Auth.ChangeRole(Api.param call "roleId", None) with
    | Ok() -> Api.empty ()
    | Error message -> Fail.input message

let expandScopes (call: Call) =
    Api.ok (J.obj [ "scopes", J.strs (call.Env.Stores.Auth.Expand(scopesOf "scopes" call.Body)) ])

let currentScopes (call: Call) =
    Api.ok (J.obj [ "scopes", J.strs call.Scopes ])

/// `authenticateHawk`: the signature validation other services delegate to auth.
let authenticateHawk (call: Call) =
    let env = call.Env
    let b = call.Body

    let req =
        {
            Hawk =
                {
                    Method = (J.string "method" b).ToUpperInvariant()
                    Resource = J.string "resource" b
                    Host = J.string "host" b
                    Port = int (J.tryInt64 "port" b |> Option.defaultValue 80L)
                }
            Authorization = J.tryString "authorization" b |> Option.toObj
            ContentType = null
            Body = ReadOnlyMemory.Empty
        }

    let outcome =
        Authenticator.authenticate
            (fun id -> env.Stores.Auth.Credentials(id, call.Now))
            env.Stores.Auth.Expand
            call.Now
            req

    match outcome with
    | AuthOutcome.Anonymous scopes ->
        Api.ok (
            J.obj
                [
                    "status", J.str "no-auth"
                    "scheme", J.str "none"
                    "scopes", J.strs scopes
                    "expires", J.time (call.Now + TimeSpan.FromMinutes 15.0)
                ]
        )
    | AuthOutcome.Success(clientId, scopes, expires, scheme) ->
        Api.ok (
            J.obj
                [
                    "status", J.str "auth-success"
                    "scheme", J.str scheme
                    "scopes", J.strs scopes
                    "clientId", J.str clientId
                    "expires", J.time expires
                ]
        )
    | AuthOutcome.Failed message -> Api.ok (J.obj [ "status", J.str "auth-failed"; "message", J.str message ])

/// The fixed client the test endpoints authenticate (`tester` / `no-secret`).
let testerCredentials (clientScopes: string seq) (expand: string seq -> string array) (clientId: string) =
    if clientId = "tester" then
        Ok
            {
                ClientId = "tester"
                AccessToken = "no-secret"
                Scopes = expand clientScopes
                Expires = DateTimeOffset.MaxValue
            }
    else
        Error $"Client with clientId '{clientId}' not found"

/// The scopes testAuthenticateGet gives the tester and requires.
let testGetClientScopes = [ "test:*"; "auth:create-client:test:*" ]
let testGetRequiredScopes = [ "test:scope" ]

let private testReply (call: Call) (required: string list) =
    let expr = ScopeExpression.AllOf(required |> List.map ScopeExpression.Scope)

    if not (Scopes.satisfies call.Scopes expr) then
        Api.insufficient call.ClientId call.Scopes expr

    Api.ok (J.obj [ "scopes", J.strs call.Scopes; "clientId", J.str call.ClientId ])

let testAuthenticate (call: Call) =
    testReply call (J.tryStrings "requiredScopes" call.Body |> Option.defaultValue [])

let testAuthenticateGet (call: Call) = testReply call testGetRequiredScopes

let handlers: (string * (Call -> Reply)) list =
    [
        "listClients", listClients
        "client", client
        "createClient", createClient
        "updateClient", updateClient
        "enableClient", enableClient
        "disableClient", disableClient
        "deleteClient", deleteClient
        "resetAccessToken", resetAccessToken
        "listRoles", listRoles
        "listRoles2", listRoles2
        "listRoleIds", listRoleIds
        "role", role
        "createRole", createRole
        "updateRole", updateRole
        "deleteRole", deleteRole
        "expandScopes", expandScopes
        "currentScopes", currentScopes
        "authenticateHawk", authenticateHawk
        "testAuthenticate", testAuthenticate
        "testAuthenticateGet", testAuthenticateGet
    ]
