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

/// Records an action in the audit history, as the real service does for clients and roles.
let private audit (call: Call) (entityType: string) (entityId: string) (action: string) =
    call.Env.Stores.Audit.Add(entityType, entityId, call.ClientId, action, call.Now)

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

    audit call "client" clientId "created"

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

    audit call "client" clientId "updated"

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

    audit call "client" c.ClientId (if disabled then "client disabled" else "client enabled")
    Api.ok (clientJson store c)

let enableClient call = setDisabled false call
let disableClient call = setDisabled true call

let deleteClient (call: Call) =
    let clientId = Api.param call "clientId"

    if call.Env.Stores.Auth.RemoveClient clientId then
        audit call "client" clientId "deleted"

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

    audit call "client" c.ClientId "access token reset"
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
                | Ok() ->
                    audit call "role" roleId (if existing.IsSome then "updated" else "created")
                    r
                | Error message -> Fail.input message)

    Api.ok (roleJson store r)

let createRole call = writeRole call true
let updateRole call = writeRole call false

let deleteRole (call: Call) =
    let roleId = Api.param call "roleId"
    let existed = call.Env.Stores.Auth.TryRole(roleId).IsSome

    match call.Env.Stores.Auth.ChangeRole(roleId, None) with
    | Ok() ->
        if existed then
            audit call "role" roleId "deleted"

        Api.empty ()
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

// ---- audit history ----

let private auditReply (call: Call) (keep: AuditRec -> bool) =
    let store = call.Env.Stores.Audit

    let items =
        lock store.Gate (fun () ->
            store.Entries
            |> Seq.filter keep
            // zero-padded, so the keys sort as the entries were made
            |> Seq.map (fun e -> e.Seq.ToString("D20"), e)
            |> Seq.toArray)

    let page, token = Api.page call items

    let entry (e: AuditRec) =
        J.obj
            [
                "clientId", J.str e.ClientId
                "actionType", J.str e.ActionType
                "created", J.time e.Created
                "entityId", J.str e.EntityId
                "entityType", J.str e.EntityType
            ]

    Api.ok (Api.withToken token [ "auditHistory", J.arr (page |> List.map entry) ])

/// `getEntityHistory`: what was done to one entity (the emulator records clients and roles).
let getEntityHistory (call: Call) =
    let entityType = Api.param call "entityType"
    let entityId = Api.param call "entityId"
    auditReply call (fun e -> e.EntityType = entityType && e.EntityId = entityId)

/// `listAuditHistory`: what one client did.
let listAuditHistory (call: Call) =
    let clientId = Api.param call "clientId"
    auditReply call (fun e -> e.ClientId = clientId)

// ---- cloud credentials: correctly shaped, clearly fake, never from a cloud ----

let private alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/// `n` random characters of `alphabet`.
let private randomText (call: Call) (n: int) =
    call.Env.Random.Bytes n
    |> Array.map (fun b -> alphabet[int b % alphabet.Length])
    |> String

let private randomBase64 (call: Call) (n: int) =
    Convert.ToBase64String(call.Env.Random.Bytes n)

let private levelScopes (call: Call) (extra: (string * JsonNode) list) =
    let level = Api.param call "level"
    Api.authorizeWith call (("levelIsReadOnly", J.bool (level = "read-only")) :: extra)
    level

/// `awsS3Credentials`: STS-shaped credentials for a configured bucket (fake: AWS refuses them).
let awsS3Credentials (call: Call) =
    let _level = levelScopes call []
    let bucket = Api.param call "bucket"
    let prefix = Api.param call "prefix"

    if not (call.Env.Options.AwsBuckets |> Seq.contains bucket) then
        Fail.notFound $"No credentials available for bucket {bucket}"

    if prefix.StartsWith '/' then
        Fail.input $"The `prefix` may not start with a slash `/`; got `{prefix}`"

    // the shape of STS temporary credentials; the marker says where they come from
    let accessKeyId = "ASIAEMU" + randomText call 13
    let secretAccessKey = (randomBase64 call 30).Substring(0, 40)
    let sessionToken = "taskcluster-emulator/" + randomBase64 call 96
    let expires = call.Now + TimeSpan.FromHours 1.0

    if call.Query "format" = Some "iam-role-compat" then
        // the EC2 metadata service's shape: sent as it is, past the output schema (as there)
        let body =
            J.obj
                [
                    "Code", J.str "Success"
                    "Type", J.str "AWS-HMAC"
                    "LastUpdated", J.time call.Now
                    "AccessKeyId", J.str accessKeyId
                    "SecretAccessKey", J.str secretAccessKey
                    "Token", J.str sessionToken
                    "Expiration", J.time expires
                ]

        Reply.Content(200, "application/json; charset=utf-8", [], J.toBytes body)
    else
        Api.ok (
            J.obj
                [
                    "credentials",
                    J.obj
                        [
                            "accessKeyId", J.str accessKeyId
                            "secretAccessKey", J.str secretAccessKey
                            "sessionToken", J.str sessionToken
                        ]
                    "expires", J.time expires
                ]
        )

let private azureAccount (call: Call) =
    let account = Api.param call "account"

    match call.Env.Options.AzureAccounts.TryGetValue account with
    | true, a when not (isNull a) -> account, a
    | _ -> Fail.notFound $"Account '{account}' not found, can't delegate access"

/// `azureAccounts`: the configured account names.
let azureAccounts (call: Call) =
    Api.ok (J.obj [ "accounts", J.strs call.Env.Options.AzureAccounts.Keys ])

/// Names from `configured` plus the ones created under `account`, sorted, paged by name.
let private namesPage
    (call: Call)
    (field: string)
    (account: string)
    (configured: string seq)
    (created: HashSet<string>)
    =
    let store = call.Env.Stores.Cloud
    let prefix = account + "/"

    let names =
        lock store.Gate (fun () ->
            created
            |> Seq.filter (fun k -> k.StartsWith(prefix, StringComparison.Ordinal))
            |> Seq.map (fun k -> k.Substring prefix.Length)
            |> Seq.append configured
            |> Seq.distinct
            |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b))
            |> Seq.toArray)

    // Azure's own token is the next name to list
    let start =
        match call.Query "continuationToken" with
        | Some t when t <> "" -> names |> Array.filter (fun n -> String.CompareOrdinal(n, t) >= 0)
        | _ -> names

    let size = call.Env.MaxPageSize
    let page = start |> Array.truncate size

    let token = if start.Length > size then Some start[size] else None

    Api.ok (Api.withToken token [ field, J.strs page ])

let azureTables (call: Call) =
    let account, a = azureAccount call
    namesPage call "tables" account a.Tables call.Env.Stores.Cloud.CreatedTables

let azureContainers (call: Call) =
    let account, a = azureAccount call
    namesPage call "containers" account a.Containers call.Env.Stores.Cloud.CreatedContainers

/// A shared-access-signature-shaped query string, signed with random bytes (Azure refuses it).
let private sas (call: Call) (fields: (string * string) list) (expiry: DateTimeOffset) =
    let azureTime (t: DateTimeOffset) =
        t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", Globalization.CultureInfo.InvariantCulture)

    let all =
        fields
        @ [
            "st", azureTime (call.Now - TimeSpan.FromMinutes 15.0)
            "se", azureTime expiry
            "sig", randomBase64 call 32
        ]

    String.Join("&", all |> List.map (fun (k, v) -> k + "=" + Uri.EscapeDataString v))

let private sasReply (call: Call) (created: HashSet<string>) (name: string) (fields: bool -> (string * string) list) =
    let account, _ = azureAccount call
    let readWrite = Api.param call "level" = "read-write"

    // a read-write signature creates the table or container if it does not exist
    if readWrite then
        lock call.Env.Stores.Cloud.Gate (fun () -> created.Add(account + "/" + name) |> ignore)

    let expiry = call.Now + TimeSpan.FromMinutes 25.0
    Api.ok (J.obj [ "sas", J.str (sas call (fields readWrite) expiry); "expiry", J.time expiry ])

let azureTableSAS (call: Call) =
    let table = Api.param call "table"
    levelScopes call [] |> ignore

    sasReply call call.Env.Stores.Cloud.CreatedTables table (fun readWrite ->
        [ "sv", "2014-02-14"; "tn", table; "sp", (if readWrite then "raud" else "r") ])

let azureContainerSAS (call: Call) =
    let container = Api.param call "container"
    levelScopes call [] |> ignore

    sasReply call call.Env.Stores.Cloud.CreatedContainers container (fun readWrite ->
        [ "sv", "2015-04-05"; "sr", "c"; "sp", (if readWrite then "racwdl" else "rl") ])

/// `gcpCredentials`: an OAuth2-shaped access token for an allowed service account.
let gcpCredentials (call: Call) =
    let projectId = Api.param call "projectId"
    let serviceAccount = Api.param call "serviceAccount"
    let options = call.Env.Options

    if not (options.GcpServiceAccounts |> Seq.contains serviceAccount) then
        Fail.badArguments $"The service account {serviceAccount} isn't allowed"

    match options.GcpProjectId with
    | null -> Fail.notFound "GCP credentials are not available"
    | p when p <> projectId -> Fail.notFound $"The projectId {projectId} is not configured"
    | _ ->
        Api.ok (
            J.obj
                [
                    "accessToken",
                    J.str (
                        "ya29.taskcluster-emulator."
                        + Util.base64Url (ReadOnlySpan(call.Env.Random.Bytes 48))
                    )
                    "expireTime", J.time (call.Now + TimeSpan.FromHours 1.0)
                ]
        )

/// `sentryDSN`: a DSN for the project (created on first use, as the real service does), its key
/// replaced once less than a day of its two remains.
let sentryDSN (call: Call) =
    let project = Api.param call "project"

    match call.Env.Options.SentryHostname with
    | null -> Fail.notFound "Sentry credentials not found"
    | host ->
        let store = call.Env.Stores.Cloud

        let struct (number, publicKey, secretKey, expires) =
            lock store.Gate (fun () ->
                match store.SentryKeys.TryGetValue project with
                | true, (struct (_, _, _, expires) as key) when expires - call.Now > TimeSpan.FromDays 1.0 -> key
                | found, old ->
                    let number =
                        if found then
                            (let struct (n, _, _, _) = old in n)
                        else
                            store.SentryKeys.Count + 1

                    let key =
                        struct (number,
                                Convert.ToHexStringLower(call.Env.Random.Bytes 16),
                                Convert.ToHexStringLower(call.Env.Random.Bytes 16),
                                call.Now + TimeSpan.FromDays 2.0)

                    store.SentryKeys[project] <- key
                    key)

        Api.ok (
            J.obj
                [
                    "project", J.str project
                    "dsn",
                    J.obj
                        [
                            "secret", J.str $"https://{publicKey}:{secretKey}@{host}/{number}"
                            "public", J.str $"https://{publicKey}@{host}/{number}"
                        ]
                    "expires", J.time expires
                ]
        )

/// The secret websocktunnel tokens are signed with: the configured one, or one drawn once.
let websocktunnelSecret (env: Env) =
    match env.Options.WebsocktunnelSecret with
    | null ->
        let store = env.Stores.Cloud

        lock store.Gate (fun () ->
            if isNull store.WebsocktunnelSecret then
                store.WebsocktunnelSecret <- env.Random.AccessToken()

            store.WebsocktunnelSecret)
    | secret -> secret

/// `websocktunnelToken`: a JWT (HS256) with the claims the real service gives, valid 96 hours.
let websocktunnelToken (call: Call) =
    let wstAudience = Api.param call "wstAudience"
    let wstClient = Api.param call "wstClient"
    let now = call.Now.ToUnixTimeSeconds()
    let expires = now + 96L * 3600L

    let part (node: JsonNode) =
        Util.base64Url (ReadOnlySpan(J.toBytes node))

    let header = J.obj [ "alg", J.str "HS256"; "typ", J.str "JWT" ]

    let claims =
        J.obj
            [
                "tid", J.str wstClient
                "aud", J.str wstAudience
                "sub", J.str call.ClientId
                "iat", J.num now
                "exp", J.num expires
                "nbf", J.num (now - 900L)
                "iss", J.str "taskcluster-auth"
            ]

    let signingInput = part header + "." + part claims
    let key = Text.Encoding.UTF8.GetBytes(websocktunnelSecret call.Env)

    let signature =
        Security.Cryptography.HMACSHA256.HashData(key, Text.Encoding.ASCII.GetBytes signingInput)

    Api.ok (
        J.obj
            [
                "wstClient", J.str wstClient
                "wstAudience", J.str wstAudience
                "token", J.str (signingInput + "." + Util.base64Url (ReadOnlySpan signature))
                "expires", J.time (DateTimeOffset.FromUnixTimeSeconds expires)
            ]
    )

/// `githubRepoToken`: an installation-token-shaped string for a configured app.
let githubRepoToken (call: Call) =
    let appName = Api.param call "appName"
    let owner = (Api.param call "owner").ToLowerInvariant()

    let repositories =
        J.tryStrings "repositories" call.Body
        |> Option.defaultValue []
        |> List.map (fun r -> r.ToLowerInvariant())

    let repoPerms =
        match J.tryField "permissions" call.Body with
        | Some(:? JsonObject as permissions) ->
            [
                for KeyValue(permission, level) in permissions do
                    for repo in repositories -> $"{repo}:{permission}:{level.GetValue<string>()}"
            ]
        | _ -> []

    Api.authorizeWith call [ "owner", J.str owner; "repoPerms", J.strs repoPerms ]
    let options = call.Env.Options

    if not (options.GithubApps |> Seq.contains appName) then
        Fail.notFound $"Application with name `{appName}` is not configured"

    if
        not (
            options.GithubInstallations
            |> Seq.exists (fun o -> o.ToLowerInvariant() = owner)
        )
    then
        Fail.notFound $"Application with name `{appName}` is not installed on `{owner}`"

    Api.ok (
        J.obj
            [
                "token", J.str ("ghs_" + randomText call 36)
                "expires", J.time (call.Now + TimeSpan.FromHours 1.0)
            ]
    )

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
        "getEntityHistory", getEntityHistory
        "listAuditHistory", listAuditHistory
        "awsS3Credentials", awsS3Credentials
        "azureAccounts", azureAccounts
        "azureTables", azureTables
        "azureTableSAS", azureTableSAS
        "azureContainers", azureContainers
        "azureContainerSAS", azureContainerSAS
        "gcpCredentials", gcpCredentials
        "sentryDSN", sentryDSN
        "websocktunnelToken", websocktunnelToken
        "githubRepoToken", githubRepoToken
    ]
