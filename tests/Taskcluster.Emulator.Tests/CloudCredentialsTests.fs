/// The auth service's cloud-credential methods (AWS, Azure, GCP, Sentry, websocktunnel, GitHub
/// repository tokens) and its audit history, through the generated `Auth` client.
module Taskcluster.Emulator.Tests.CloudCredentialsTests

open System
open System.Security.Cryptography
open System.Text
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Clients

let private start = DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero)

let private str (e: JsonElement) = e.GetString()

let private time (e: JsonElement) = e.GetDateTimeOffset()

let private configured () =
    let options = EmulatorOptions()
    options.AwsBuckets.Add "artifacts-bucket"
    let account = EmulatorAzureAccount()
    account.Tables.Add "Builds"
    account.Containers.Add "logs"
    options.AzureAccounts["myaccount"] <- account
    options.GcpProjectId <- "my-project"
    options.GcpServiceAccounts.Add "uploader@my-project.iam.gserviceaccount.com"
    options.SentryHostname <- "sentry.example.com"
    options.WebsocktunnelSecret <- "a websocktunnel secret"
    options.GithubApps.Add "tc-app"
    options.GithubInstallations.Add "MyOrg"
    startWithOptions options start

/// The members of a JWT part.
let private jwtPart (part: string) =
    let padded = part.Replace('-', '+').Replace('_', '/')
    let padded = padded + String('=', (4 - padded.Length % 4) % 4)
    JsonDocument.Parse(Convert.FromBase64String padded).RootElement

let tests =
    testList
        "CloudCredentials"
        [
            test "awsS3Credentials gives STS-shaped credentials for a configured bucket only" {
                let emulator, _ = configured ()
                use _ = emulator
                let auth = Auth(rootOf emulator)

                let answer =
                    run (auth.AwsS3Credentials("read-write", "artifacts-bucket", "builds/"))
                    |> ok "aws"

                let creds = prop "credentials" answer
                Expect.stringStarts (str (prop "accessKeyId" creds)) "ASIA" "an STS key id"
                Expect.equal (str (prop "accessKeyId" creds)).Length 20 "20 characters, as AWS's"
                Expect.equal (str (prop "secretAccessKey" creds)).Length 40 "40 characters, as AWS's"
                Expect.isNonEmpty (str (prop "sessionToken" creds)) "a session token"
                Expect.equal (time (prop "expires" answer)) (start + TimeSpan.FromHours 1.0) "an hour"

                let again =
                    run (auth.AwsS3Credentials("read-only", "artifacts-bucket", "builds/"))
                    |> ok "aws"

                Expect.notEqual
                    (str (prop "accessKeyId" (prop "credentials" again)))
                    (str (prop "accessKeyId" creds))
                    "fresh credentials each time"

                run (auth.AwsS3Credentials("read-write", "other-bucket", "builds/"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let compat =
                    run (auth.AwsS3Credentials("read-only", "artifacts-bucket", "x/", format = "iam-role-compat"))
                    |> ok "iam-role-compat"

                Expect.equal (str (prop "Code" compat)) "Success" "the EC2 metadata shape"
                Expect.stringStarts (str (prop "AccessKeyId" compat)) "ASIA" "AccessKeyId"
                Expect.equal (time (prop "Expiration" compat)) (start + TimeSpan.FromHours 1.0) "Expiration"
            }

            test "awsS3Credentials: read-only scopes do not give read-write, and the level is checked" {
                let emulator, _ = configured ()
                use _ = emulator

                let auth =
                    Auth(withScopes emulator [ "auth:aws-s3:read-only:artifacts-bucket/builds/*" ])

                run (auth.AwsS3Credentials("read-only", "artifacts-bucket", "builds/a"))
                |> ok "read-only"
                |> ignore

                run (auth.AwsS3Credentials("read-write", "artifacts-bucket", "builds/a"))
                |> expectMissing "auth:aws-s3:read-write:artifacts-bucket/builds/a"

                run (Auth(rootOf emulator).AwsS3Credentials("write-only", "artifacts-bucket", "builds/a"))
                |> expectError 400 "InvalidRequestArguments"
                |> ignore
            }

            test "azure: accounts, tables and containers are listed; a read-write SAS creates its table" {
                let emulator, _ = configured ()
                use _ = emulator
                let auth = Auth(rootOf emulator)
                let accounts = run (auth.AzureAccounts()) |> ok "accounts"
                Expect.equal (items (prop "accounts" accounts) |> List.map str) [ "myaccount" ] "configured"

                let tables () =
                    run (auth.AzureTables "myaccount")
                    |> ok "tables"
                    |> prop "tables"
                    |> items
                    |> List.map str

                Expect.equal (tables ()) [ "Builds" ] "the configured table"

                let ro =
                    run (auth.AzureTableSAS("myaccount", "Tasks", "read-only"))
                    |> ok "read-only SAS"

                Expect.stringContains (str (prop "sas" ro)) "sp=r&" "read permission only"
                Expect.equal (time (prop "expiry" ro)) (start + TimeSpan.FromMinutes 25.0) "25 minutes"
                Expect.equal (tables ()) [ "Builds" ] "a read-only SAS creates nothing"

                let rw =
                    run (auth.AzureTableSAS("myaccount", "Tasks", "read-write"))
                    |> ok "read-write SAS"

                Expect.stringContains (str (prop "sas" rw)) "sp=raud&" "read, add, update, delete"
                Expect.equal (tables ()) [ "Builds"; "Tasks" ] "created by the read-write SAS"

                let containers =
                    run (auth.AzureContainers "myaccount")
                    |> ok "containers"
                    |> prop "containers"
                    |> items

                Expect.equal (containers |> List.map str) [ "logs" ] "the configured container"

                let c =
                    run (auth.AzureContainerSAS("myaccount", "logs", "read-only"))
                    |> ok "container SAS"

                Expect.stringContains (str (prop "sas" c)) "sr=c" "a container signature"

                for result in
                    [
                        run (auth.AzureTables "nosuchaccount") |> Result.map ignore
                        run (auth.AzureTableSAS("nosuchaccount", "Tasks", "read-only"))
                        |> Result.map ignore
                        run (auth.AzureContainers "nosuchaccount") |> Result.map ignore
                        run (auth.AzureContainerSAS("nosuchaccount", "logs", "read-write"))
                        |> Result.map ignore
                    ] do
                    let e = result |> expectError 404 "ResourceNotFound"
                    Expect.stringContains e.Message "nosuchaccount" "the account is named"
            }

            test "azure methods need their scopes" {
                let emulator, _ = configured ()
                use _ = emulator

                let auth =
                    Auth(withScopes emulator [ "auth:azure-table:read-only:myaccount/Builds" ])

                run (auth.AzureTableSAS("myaccount", "Builds", "read-only"))
                |> ok "read-only"
                |> ignore

                run (auth.AzureTableSAS("myaccount", "Builds", "read-write"))
                |> expectMissing "auth:azure-table:read-write:myaccount/Builds"

                run (auth.AzureAccounts()) |> expectMissing "auth:azure-table:list-accounts"

                run (auth.AzureTables "myaccount")
                |> expectMissing "auth:azure-table:list-tables:myaccount"

                run (auth.AzureContainers "myaccount")
                |> expectMissing "auth:azure-container:list-containers:myaccount"

                run (auth.AzureContainerSAS("myaccount", "logs", "read-only"))
                |> expectMissing "auth:azure-container:read-only:myaccount/logs"
            }

            test "gcpCredentials: an allowed service account of the configured project only" {
                let emulator, _ = configured ()
                use _ = emulator
                let auth = Auth(rootOf emulator)
                let sa = "uploader@my-project.iam.gserviceaccount.com"
                let answer = run (auth.GcpCredentials("my-project", sa)) |> ok "gcp"
                Expect.isNonEmpty (str (prop "accessToken" answer)) "a token"
                Expect.equal (time (prop "expireTime" answer)) (start + TimeSpan.FromHours 1.0) "an hour"

                run (auth.GcpCredentials("my-project", "other@my-project.iam.gserviceaccount.com"))
                |> expectError 400 "InvalidRequestArguments"
                |> ignore

                let e =
                    run (auth.GcpCredentials("other-project", sa))
                    |> expectError 404 "ResourceNotFound"

                Expect.stringContains e.Message "other-project" "the project is named"

                run (Auth(withScopes emulator []).GcpCredentials("my-project", sa))
                |> expectMissing $"auth:gcp:access-token:my-project/{sa}"
            }

            test "gcpCredentials and sentryDSN answer 404 when not configured" {
                let emulator, _ = startWithClock start
                use _ = emulator
                let auth = Auth(rootOf emulator)
                let options = EmulatorOptions()
                Expect.isNull options.GcpProjectId "no GCP project by default"

                run (auth.GcpCredentials("p", "sa"))
                |> expectError 400 "InvalidRequestArguments"
                |> ignore

                run (auth.SentryDSN "proj") |> expectError 404 "ResourceNotFound" |> ignore

                run (auth.AwsS3Credentials("read-only", "bucket", "x"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let accounts = run (auth.AzureAccounts()) |> ok "accounts"
                Expect.isEmpty (items (prop "accounts" accounts)) "no accounts"
            }

            test "sentryDSN: one key per project, replaced once less than a day of it remains" {
                let emulator, clock = configured ()
                use _ = emulator
                let auth = Auth(rootOf emulator)
                let first = run (auth.SentryDSN "my-project") |> ok "sentry"
                Expect.equal (str (prop "project" first)) "my-project" "project"
                let secret = str (prop "secret" (prop "dsn" first))
                let pub = str (prop "public" (prop "dsn" first))
                Expect.stringStarts secret "https://" "a URL"
                Expect.stringContains secret "@sentry.example.com/" "the configured host"
                Expect.isFalse (pub.Contains(secret.Split(':').[2].Split('@').[0])) "the public DSN has no secret"
                Expect.equal (time (prop "expires" first)) (start + TimeSpan.FromDays 2.0) "two days"
                clock.Advance(TimeSpan.FromHours 12.0)
                let same = run (auth.SentryDSN "my-project") |> ok "sentry"
                Expect.equal (str (prop "secret" (prop "dsn" same))) secret "the same key"
                let other = run (auth.SentryDSN "other-project") |> ok "sentry"
                Expect.notEqual (str (prop "secret" (prop "dsn" other))) secret "another project, another key"
                clock.Advance(TimeSpan.FromHours 13.0)
                let renewed = run (auth.SentryDSN "my-project") |> ok "sentry"
                Expect.notEqual (str (prop "secret" (prop "dsn" renewed))) secret "a new key"

                run (Auth(withScopes emulator []).SentryDSN "my-project")
                |> expectMissing "auth:sentry:my-project"
            }

            test "websocktunnelToken is an HS256 JWT with the real service's claims" {
                let emulator, _ = configured ()
                use _ = emulator
                let auth = Auth(withScopes emulator [ "auth:websocktunnel-token:aud-1/*" ])

                let answer =
                    run (auth.WebsocktunnelToken("aud-1", "worker.7")) |> ok "websocktunnel"

                Expect.equal (str (prop "wstAudience" answer)) "aud-1" "audience"
                Expect.equal (str (prop "wstClient" answer)) "worker.7" "client"
                let token = str (prop "token" answer)
                let parts = token.Split '.'
                Expect.equal parts.Length 3 "header.claims.signature"
                Expect.equal (str (prop "alg" (jwtPart parts[0]))) "HS256" "alg"

                let signature =
                    HMACSHA256.HashData(
                        Encoding.UTF8.GetBytes "a websocktunnel secret",
                        Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])
                    )

                Expect.equal parts[2] (Signer.base64Url signature) "signed with the configured secret"
                let claims = jwtPart parts[1]
                let now = start.ToUnixTimeSeconds()
                Expect.equal (str (prop "tid" claims)) "worker.7" "tid"
                Expect.equal (str (prop "aud" claims)) "aud-1" "aud"
                Expect.stringStarts (str (prop "sub" claims)) "test/" "sub is the caller's clientId"
                Expect.equal (str (prop "iss" claims)) "taskcluster-auth" "iss"
                Expect.equal ((prop "iat" claims).GetInt64()) now "iat"
                Expect.equal ((prop "nbf" claims).GetInt64()) (now - 900L) "nbf allows 15 minutes of drift"
                Expect.equal ((prop "exp" claims).GetInt64()) (now + 96L * 3600L) "exp"
                Expect.equal (time (prop "expires" answer)) (start + TimeSpan.FromHours 96.0) "expires"

                run (auth.WebsocktunnelToken("aud-2", "worker.7"))
                |> expectMissing "auth:websocktunnel-token:aud-2/worker.7"
            }

            test "githubRepoToken: a token for a configured app installed on the owner" {
                let emulator, _ = configured ()
                use _ = emulator

                let body =
                    Payload.Text """{"repositories": ["Repo"], "permissions": {"contents": "read"}}"""

                let auth =
                    Auth(withScopes emulator [ "auth:github-repo-token:tc-app/myorg/repo:contents:read" ])

                let answer = run (auth.GithubRepoToken("tc-app", "MyOrg", body)) |> ok "repo token"
                Expect.stringStarts (str (prop "token" answer)) "ghs_" "an installation token's shape"
                Expect.equal (time (prop "expires" answer)) (start + TimeSpan.FromHours 1.0) "an hour"

                let write =
                    Payload.Text """{"repositories": ["repo"], "permissions": {"contents": "write"}}"""

                run (auth.GithubRepoToken("tc-app", "MyOrg", write))
                |> expectMissing "auth:github-repo-token:tc-app/myorg/repo:contents:write"

                let root = Auth(rootOf emulator)

                run (root.GithubRepoToken("other-app", "MyOrg", body))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (root.GithubRepoToken("tc-app", "elsewhere", body))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "the audit history records what was done to clients and roles, and by whom" {
                let emulator, clock = startWithClock start
                use _ = emulator
                let auth = Auth(rootOf emulator)

                let client =
                    Payload.Text """{"description": "d", "expires": "2040-01-01T00:00:00.000Z"}"""

                run (auth.CreateClient("proj/a", client)) |> ok "createClient" |> ignore
                clock.Advance(TimeSpan.FromSeconds 1.0)
                run (auth.DisableClient "proj/a") |> ok "disable" |> ignore
                run (auth.ResetAccessToken "proj/a") |> ok "reset" |> ignore
                run (auth.DeleteClient "proj/a") |> ok "delete" |> ignore
                let role = Payload.Text """{"description": "r", "scopes": ["a:b"]}"""
                run (auth.CreateRole("proj:role", role)) |> ok "createRole" |> ignore

                let history = run (auth.GetEntityHistory("client", "proj/a")) |> ok "history"
                let entries = items (prop "auditHistory" history)

                Expect.equal
                    (entries |> List.map (prop "actionType" >> str))
                    [ "created"; "client disabled"; "access token reset"; "deleted" ]
                    "in order"

                Expect.isTrue
                    (entries |> List.forall (fun e -> str (prop "clientId" e) = emulator.ClientId))
                    "by the root client"

                Expect.equal (time (prop "created" entries.Head)) start "when"

                let roles = run (auth.GetEntityHistory("role", "proj:role")) |> ok "role history"

                Expect.equal
                    (items (prop "auditHistory" roles) |> List.map (prop "actionType" >> str))
                    [ "created" ]
                    "role"

                let page1 =
                    run (auth.ListAuditHistory(emulator.ClientId, limit = "3")) |> ok "by client"

                Expect.equal (items (prop "auditHistory" page1)).Length 3 "a page of three"
                let token = str (prop "continuationToken" page1)

                let page2 =
                    run (auth.ListAuditHistory(emulator.ClientId, continuationToken = token, limit = "3"))
                    |> ok "page 2"

                Expect.equal
                    (items (prop "auditHistory" page2) |> List.map (prop "entityId" >> str))
                    [ "proj/a"; "proj:role" ]
                    "the rest"

                run (auth.GetEntityHistory("task", "x"))
                |> expectError 400 "InvalidRequestArguments"
                |> ignore

                run (Auth(withScopes emulator []).GetEntityHistory("client", "proj/a"))
                |> expectMissing "auth:audit-history:client"
            }
        ]
