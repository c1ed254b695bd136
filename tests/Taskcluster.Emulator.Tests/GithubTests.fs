/// The GitHub service, through the generated `Github` client (and raw HTTP for the webhook,
/// which the references do not publish, and for the SVG badge).
module Taskcluster.Emulator.Tests.GithubTests

open System
open System.Net.Http
open System.Security.Cryptography
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private str (e: JsonElement) = e.GetString()

let private secret = "a webhook secret"

/// An emulator with the app installed for `myorg`, the webhook secret, and these roles (role id
/// and its scopes) for the repository's tasks.
let private startedWithRoles (roles: (string * string list) list) =
    let options = EmulatorOptions()
    options.GithubWebhookSecret <- secret
    options.GithubInstallations.Add "myorg"
    let emulator, _ = startWithOptions options DateTimeOffset.UtcNow

    for roleId, scopes in roles do
        emulator.State.CreateRole(roleId, scopes)

    emulator

/// An emulator whose repository role allows the tasks of its `.taskcluster.yml`.
let private started () =
    startedWithRoles
        [
            "repo:github.com/myorg/myrepo:*",
            [
                "queue:create-task:project:none"
                "queue:scheduler-id:taskcluster-github"
                "queue:create-task:lowest:proj-ci/*"
                "queue:route:statuses"
                "queue:route:checks"
                "queue:cancel-task:taskcluster-github/*"
            ]
        ]

/// A `.taskcluster.yml` making a build task and a test task depending on it on pushes, and
/// one task on pull requests.
let private taskclusterYml =
    """
version: 1
policy:
  pullRequests: public
tasks:
  $let:
    task:
      taskQueueId: proj-ci/linux
      deadline: {$fromNow: '1 day'}
      expires: {$fromNow: '1 month'}
      payload:
        ref: {$if: 'tasks_for == "github-push"', then: '${event.ref}', else: 'pull'}
      metadata:
        name: ci
        description: "for ${tasks_for}"
        owner: ci@example.com
        source: '${event.repository.html_url}'
  in:
    $if: 'tasks_for == "github-push"'
    then:
      - $mergeDeep:
          - {$eval: task}
          - taskId: {$eval: 'as_slugid("test")'}
            dependencies: [{$eval: 'as_slugid("build")'}]
            metadata: {name: test}
      - $mergeDeep:
          - {$eval: task}
          - taskId: {$eval: 'as_slugid("build")'}
            metadata: {name: build}
    else:
      - {$eval: task}
"""

let private render
    (gh: Github)
    (eventType: string)
    (action: string option)
    (overrides: (string * JsonNode) list)
    (body: string)
    =
    let fake =
        jobj (
            [ "type", jstr eventType ]
            @ (action |> Option.map (fun a -> "action", jstr a) |> Option.toList)
            @ (if overrides.IsEmpty then
                   []
               else
                   [ "overrides", jobj overrides ])
        )

    run (
        gh.RenderTaskclusterYml(
            Payload.Node(
                jobj
                    [
                        "body", jstr body
                        "fakeEvent", fake
                        "organization", jstr "myorg"
                        "repository", jstr "myrepo"
                    ]
            )
        )
    )

let private tasksOf (answer: JsonElement) = items (prop "tasks" answer)

let private scopesOf (answer: JsonElement) =
    items (prop "scopes" answer) |> List.map str

let private sha = "0123456789abcdef0123456789abcdef01234567"

/// A push delivery of `branch` at `sha`.
let private pushEvent (branch: string) (sha: string) (message: string) =
    jobj
        [
            "ref", jstr $"refs/heads/{branch}"
            "before", jstr "1111111111111111111111111111111111111111"
            "after", jstr sha
            "head_commit", jobj [ "id", jstr sha; "message", jstr message ]
            "repository",
            jobj
                [
                    "name", jstr "myrepo"
                    "full_name", jstr "myorg/myrepo"
                    "owner", jobj [ "name", jstr "myorg"; "login", jstr "myorg" ]
                    "html_url", jstr "https://github.com/myorg/myrepo"
                    "clone_url", jstr "https://github.com/myorg/myrepo.git"
                ]
            "sender", jobj [ "login", jstr "octocat"; "id", jint 1L ]
            "installation", jobj [ "id", jint 5L ]
        ]

let private hubSignature (key: string) (body: byte array) =
    "sha256="
    + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes key, body))

/// Delivers a webhook event; `signWith` `None` sends no signature.
let private deliver (emulator: EmulatorInstance) (event: string) (body: JsonNode) (signWith: string option) =
    let bytes = Encoding.UTF8.GetBytes(body.ToJsonString())

    let req =
        new HttpRequestMessage(HttpMethod.Post, $"{emulator.RootUrl}/api/github/v1/github")

    req.Content <- new ByteArrayContent(bytes)
    req.Content.Headers.ContentType <- Headers.MediaTypeHeaderValue "application/json"
    req.Headers.Add("X-GitHub-Event", event)
    req.Headers.Add("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")

    match signWith with
    | Some key -> req.Headers.Add("X-Hub-Signature-256", hubSignature key bytes)
    | None -> ()

    let resp = run (http.SendAsync req)
    int resp.StatusCode, run (resp.Content.ReadAsStringAsync())

let private push (emulator: EmulatorInstance) (branch: string) (sha: string) =
    let status, text =
        deliver emulator "push" (pushEvent branch sha "a change") (Some secret)

    Expect.equal status 204 $"the push is accepted: {text}"

// ---- pull-request policies ----

let private headSha = "abcdefabcdefabcdefabcdefabcdefabcdef0001"

/// An emulator with the repository's two pull-request roles: the trusted role may create tasks
/// in `proj-ci/trusted` only, the untrusted one in `proj-ci/untrusted` only.
let private startedForPolicies () =
    let role (queue: string) =
        [
            "queue:create-task:project:none"
            "queue:scheduler-id:taskcluster-github"
            $"queue:create-task:lowest:proj-ci/{queue}"
            "queue:route:statuses"
        ]

    let emulator =
        startedWithRoles
            [
                "repo:github.com/myorg/myrepo:pull-request", role "trusted"
                "repo:github.com/myorg/myrepo:pull-request-untrusted", role "untrusted"
            ]

    emulator.State.SetCollaborators("myorg", "myrepo", [ "alice"; "Bob" ])
    emulator

/// A `.taskcluster.yml` with this pull-request policy (none when empty) and one task, queued in
/// `queue` (by default: `proj-ci/untrusted` for untrusted pull requests, else `proj-ci/trusted`)
/// and describing the `tasks_for` it was rendered for.
let private policyYml (policy: string) (queue: string) =
    let policyLines =
        if policy = "" then
            ""
        else
            $"policy:\n  pullRequests: {policy}\n"

    let queueLine =
        if queue = "" then
            "{$if: 'tasks_for == \"github-pull-request-untrusted\"', then: proj-ci/untrusted, else: proj-ci/trusted}"
        else
            queue

    $"""version: 1
{policyLines}tasks:
  - taskQueueId: {queueLine}
    deadline: {{$fromNow: '1 day'}}
    expires: {{$fromNow: '1 month'}}
    payload: {{}}
    metadata:
      name: pr
      description: "for ${{tasks_for}}"
      owner: ci@example.com
      source: '${{event.repository.html_url}}'
"""

/// Puts the policy file on the default branch (`main`) and the pull request's own at its head.
let private withFiles (emulator: EmulatorInstance) (defaultBranchYml: string option) (headYml: string) =
    defaultBranchYml
    |> Option.iter (fun yml -> emulator.State.SetRepositoryFile("myorg", "myrepo", "main", ".taskcluster.yml", yml))

    emulator.State.SetRepositoryFile("myorg", "myrepo", headSha, ".taskcluster.yml", headYml)

/// A pull request #7 into `myorg/myrepo`'s `main`, opened by `opener` from a branch of
/// `headOwner`'s repository (`myorg` for a branch of the repository itself, else a fork).
let private pullRequestEvent (action: string) (opener: string) (headOwner: string) =
    let repo (owner: string) =
        jobj
            [
                "name", jstr "myrepo"
                "full_name", jstr $"{owner}/myrepo"
                "owner", jobj [ "login", jstr owner ]
                "html_url", jstr $"https://github.com/{owner}/myrepo"
                "clone_url", jstr $"https://github.com/{owner}/myrepo.git"
                "default_branch", jstr "main"
            ]

    jobj
        [
            "action", jstr action
            "number", jint 7L
            "pull_request",
            jobj
                [
                    "number", jint 7L
                    "title", jstr "A change"
                    "user", jobj [ "login", jstr opener ]
                    "head",
                    jobj
                        [
                            "ref", jstr "feature"
                            "sha", jstr headSha
                            "user", jobj [ "login", jstr headOwner ]
                            "repo", repo headOwner
                        ]
                    "base",
                    jobj
                        [
                            "ref", jstr "main"
                            "sha", jstr "1111111111111111111111111111111111111111"
                            "user", jobj [ "login", jstr "myorg" ]
                            "repo", repo "myorg"
                        ]
                ]
            "repository", repo "myorg"
            "sender", jobj [ "login", jstr opener ]
            "installation", jobj [ "id", jint 5L ]
        ]

let private deliverPullRequest (emulator: EmulatorInstance) (action: string) (opener: string) (headOwner: string) =
    let status, text =
        deliver emulator "pull_request" (pullRequestEvent action opener headOwner) (Some secret)

    Expect.equal status 204 $"the pull request is accepted: {text}"

/// The tasks created, as (task queue, description).
let private createdTasks (emulator: EmulatorInstance) =
    [
        for id in emulator.State.TaskIds ->
            let def = JsonNode.Parse(emulator.State.TaskDefinitionJson id)
            let description = def["metadata"]["description"]
            string def["taskQueueId"], string description
    ]

let private refusalBody =
    "<details>\n\n<summary>No Taskcluster jobs started for this pull request</summary>\n\n"
    + "The `allowPullRequests` configuration for this repository (in `.taskcluster.yml` on the default "
    + "branch) does not allow starting tasks for this pull request.\n\n</details>"

let private trusted = [ "proj-ci/trusted", "for github-pull-request" ]
let private untrusted = [ "proj-ci/untrusted", "for github-pull-request-untrusted" ]

/// One pull request under `policy` (on the default branch and at the head): the tasks created
/// and the comments recorded.
let private underPolicy (policy: string) (action: string) (opener: string) (headOwner: string) =
    let emulator = startedForPolicies ()
    use _ = emulator
    let yml = policyYml policy ""
    withFiles emulator (Some yml) yml
    deliverPullRequest emulator action opener headOwner

    createdTasks emulator,
    emulator.State.GithubComments
    |> Seq.map (fun c -> c.Number, c.Body)
    |> List.ofSeq

let private policyTests =
    testList
        "pull-request policies"
        [
            test "collaborators (the default): a collaborator's pull request runs with the pull-request role" {
                let emulator = startedForPolicies ()
                use _ = emulator
                let yml = policyYml "" ""
                withFiles emulator (Some yml) yml
                deliverPullRequest emulator "opened" "alice" "myorg"
                Expect.equal (createdTasks emulator) trusted "one task, rendered for github-pull-request"
                Expect.isEmpty emulator.State.GithubComments "no comment"

                let builds =
                    run (Github(rootOf emulator).Builds()) |> ok "builds" |> prop "builds" |> items

                let b = builds |> List.exactlyOne
                Expect.equal (str (prop "eventType" b)) "pull_request.opened" "event type"
                Expect.equal ((prop "pullRequestNumber" b).GetInt32()) 7 "the pull request"
                Expect.equal (str (prop "sha" b)) headSha "at the head"
                let status = emulator.State.GithubStatuses |> Seq.exactlyOne
                Expect.equal (status.Sha, status.Context) (headSha, "Taskcluster (pull_request)") "pending status"
            }

            test "collaborators: a non-collaborator's pull request creates no tasks and is told why once" {
                let emulator = startedForPolicies ()
                use _ = emulator
                let yml = policyYml "collaborators" ""
                withFiles emulator (Some yml) yml
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.isEmpty emulator.State.TaskIds "no tasks"
                let c = emulator.State.GithubComments |> Seq.exactlyOne
                Expect.equal (c.Owner, c.Repo, c.Number, c.Sha) ("myorg", "myrepo", "7", null) "on the pull request"
                Expect.equal c.Body refusalBody "explains the policy"
                Expect.equal c.ClientId "static/taskcluster/github" "posted by the service"
                // a redelivery, and later pushes to the pull request, add nothing
                deliverPullRequest emulator "opened" "mallory" "mallory"
                deliverPullRequest emulator "synchronize" "mallory" "mallory"
                Expect.equal emulator.State.GithubComments.Count 1 "still one comment"
                Expect.isEmpty emulator.State.TaskIds "still no tasks"
                Expect.isEmpty emulator.State.GithubStatuses "no status"
            }

            test "collaborators: a collaborator's pull request from a non-collaborator's fork is refused" {
                let tasks, comments = underPolicy "collaborators" "opened" "alice" "mallory"
                Expect.isEmpty tasks "no tasks"
                Expect.equal comments [ "7", refusalBody ] "the comment"
                // a collaborator's fork is trusted, logins compare case-insensitively
                let tasks, comments = underPolicy "collaborators" "opened" "ALICE" "bob"
                Expect.equal tasks trusted "trusted"
                Expect.isEmpty comments "no comment"
                // the opener must collaborate even when the head is the repository's own branch
                let tasks, comments = underPolicy "collaborators" "reopened" "mallory" "myorg"
                Expect.isEmpty tasks "no tasks for a non-collaborator's branch of the repository"
                Expect.isEmpty comments "the service explains only when a pull request is opened"
            }

            test "collaborators_quiet: a non-collaborator's pull request creates no tasks and no comment" {
                let tasks, comments = underPolicy "collaborators_quiet" "opened" "mallory" "mallory"
                Expect.isEmpty tasks "no tasks"
                Expect.isEmpty comments "no comment"
                let tasks, comments = underPolicy "collaborators_quiet" "opened" "alice" "myorg"
                Expect.equal tasks trusted "a collaborator's run"
                Expect.isEmpty comments "no comment"
            }

            test "public: everyone's pull request runs with the pull-request role" {
                let tasks, comments = underPolicy "public" "opened" "mallory" "mallory"
                Expect.equal tasks trusted "a stranger's pull request runs trusted"
                Expect.isEmpty comments "no comment"
                let tasks, _ = underPolicy "public" "opened" "alice" "myorg"
                Expect.equal tasks trusted "a collaborator's too"
            }

            test "public_restricted: a non-collaborator's pull request runs with the untrusted role" {
                let tasks, comments = underPolicy "public_restricted" "opened" "mallory" "mallory"
                Expect.equal tasks untrusted "rendered for github-pull-request-untrusted"
                Expect.isEmpty comments "no comment"
                let tasks, comments = underPolicy "public_restricted" "opened" "bob" "myorg"
                Expect.equal tasks trusted "a collaborator's runs trusted"
                Expect.isEmpty comments "no comment"
            }

            test "public_restricted: the untrusted role's scopes are the ones used" {
                let emulator = startedForPolicies ()
                use _ = emulator
                // a task the untrusted role may not create
                let yml = policyYml "public_restricted" "proj-ci/trusted"
                withFiles emulator (Some yml) yml
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.isEmpty emulator.State.TaskIds "refused by the queue"
                let c = emulator.State.GithubComments |> Seq.exactlyOne
                Expect.stringContains c.Body "InsufficientScopes" "an error comment"
                Expect.stringContains c.Body "queue:create-task:lowest:proj-ci/trusted" "names the missing scope"
                // the service names no pull request when creating tasks fails
                Expect.equal (c.Number, c.Sha) (null, headSha) "on the commit"
            }

            test "a pull request cannot loosen the policy of the default branch in its own .taskcluster.yml" {
                let emulator = startedForPolicies ()
                use _ = emulator
                withFiles emulator (Some(policyYml "collaborators" "")) (policyYml "public" "")
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.isEmpty emulator.State.TaskIds "no tasks"
                Expect.equal (emulator.State.GithubComments |> Seq.map _.Body |> List.ofSeq) [ refusalBody ] "refused"
                // nor make itself trusted under public_restricted
                let emulator = startedForPolicies ()
                use _ = emulator
                withFiles emulator (Some(policyYml "public_restricted" "")) (policyYml "public" "")
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.equal (createdTasks emulator) untrusted "untrusted"
                // while the default branch's policy applies even to a head file without one
                let emulator = startedForPolicies ()
                use _ = emulator
                withFiles emulator (Some(policyYml "public" "")) (policyYml "" "")
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.equal (createdTasks emulator) trusted "public from the default branch"
            }

            test "without a .taskcluster.yml on the default branch, only collaborators run, quietly" {
                let emulator = startedForPolicies ()
                use _ = emulator
                withFiles emulator None (policyYml "public" "")
                deliverPullRequest emulator "opened" "mallory" "mallory"
                Expect.isEmpty emulator.State.TaskIds "no tasks"
                Expect.isEmpty emulator.State.GithubComments "no comment"
                deliverPullRequest emulator "synchronize" "alice" "myorg"
                Expect.equal (createdTasks emulator) trusted "a collaborator's pull request runs"
            }

            test "SetCollaborators replaces the list and refuses missing arguments" {
                let emulator = startedForPolicies ()
                use _ = emulator
                let yml = policyYml "collaborators_quiet" ""
                withFiles emulator (Some yml) yml
                emulator.State.SetCollaborators("MyOrg", "MyRepo", [ "mallory" ])
                deliverPullRequest emulator "opened" "alice" "myorg"
                Expect.isEmpty emulator.State.TaskIds "alice is no longer a collaborator"
                deliverPullRequest emulator "opened" "mallory" "myorg"
                Expect.equal (createdTasks emulator) trusted "mallory is"

                Expect.throwsT<ArgumentNullException>
                    (fun () -> emulator.State.SetCollaborators("myorg", "myrepo", null))
                    "null logins"

                Expect.throwsT<ArgumentException>
                    (fun () -> emulator.State.SetCollaborators("myorg", "myrepo", [ "ok"; null ]))
                    "a null login"

                Expect.throwsT<ArgumentNullException>
                    (fun () -> emulator.State.SetCollaborators(null, "myrepo", [ "alice" ]))
                    "no owner"
            }
        ]

let tests =
    testList
        "Github"
        [
            policyTests
            test "renderTaskclusterYml renders a push as the service does: ids, routes, scheduler, scopes" {
                let emulator = started ()
                use _ = emulator
                // no scopes are needed
                let gh = Github(withScopes emulator [])
                let answer = render gh "github-push" None [] taskclusterYml |> ok "render"
                let tasks = tasksOf answer
                Expect.equal tasks.Length 2 "two tasks"

                let names =
                    tasks |> List.map (fun t -> str (prop "name" (prop "metadata" (prop "task" t))))

                Expect.equal names [ "build"; "test" ] "the dependency first"
                let buildId = str (prop "taskId" tasks[0])
                let test = prop "task" tasks[1]
                Expect.equal (items (prop "dependencies" test) |> List.map str) [ buildId ] "as_slugid is stable"

                for t in tasks do
                    let task = prop "task" t
                    Expect.equal (str (prop "schedulerId" task)) "taskcluster-github" "scheduler id"
                    Expect.equal (items (prop "routes" task) |> List.map str) [ "statuses" ] "the status route"
                    Expect.equal (str (prop "ref" (prop "payload" task))) "refs/heads/main" "the event's ref"
                    Expect.equal (str (prop "description" (prop "metadata" task))) "for github-push" "tasks_for"
                    Expect.equal (str (prop "source" (prop "metadata" task))) "https://github.com/myorg/myrepo" "event"

                let groups =
                    tasks |> List.map (prop "task" >> prop "taskGroupId" >> str) |> List.distinct

                Expect.equal groups.Length 1 "one task group"

                Expect.isFalse
                    (tasks |> List.exists (fun t -> str (prop "taskId" t) = groups.Head))
                    "a group id of its own"

                Expect.equal
                    (scopesOf answer)
                    [
                        "assume:repo:github.com/myorg/myrepo:branch:main"
                        "queue:route:statuses"
                        "queue:scheduler-id:taskcluster-github"
                    ]
                    "the branch's role"
            }

            test "renderTaskclusterYml: pull requests, releases, tags and checks reporting" {
                let emulator = started ()
                use _ = emulator
                let gh = Github(rootOf emulator)

                let pr =
                    render gh "github-pull-request" (Some "opened") [] taskclusterYml
                    |> ok "pull request"

                let prTasks = tasksOf pr
                Expect.equal prTasks.Length 1 "one task"
                let sole = prTasks.Head

                Expect.equal
                    (str (prop "taskId" sole))
                    (str (prop "taskGroupId" (prop "task" sole)))
                    "a sole task is its group"

                Expect.equal (scopesOf pr).Head "assume:repo:github.com/myorg/myrepo:pull-request" "pull request role"

                let release =
                    render gh "github-release" (Some "published") [] taskclusterYml |> ok "release"

                Expect.equal (scopesOf release).Head "assume:repo:github.com/myorg/myrepo:release:published" "release"

                let tag =
                    render gh "github-push" None [ "ref", jstr "refs/tags/v1.2" ] taskclusterYml
                    |> ok "tag"

                Expect.equal (scopesOf tag).Head "assume:repo:github.com/myorg/myrepo:tag:v1.2" "tag role"

                let checks =
                    render
                        gh
                        "github-push"
                        None
                        []
                        (taskclusterYml.Replace("version: 1", "version: 1\nreporting: checks-v1"))
                    |> ok "checks"

                Expect.equal (scopesOf checks).[1] "queue:route:checks" "the checks route"

                Expect.equal
                    (items (prop "routes" (prop "task" (tasksOf checks).Head)) |> List.map str)
                    [ "checks" ]
                    "routed to checks"
            }

            test "renderTaskclusterYml refuses bad YAML, other versions and failing templates with 400" {
                let emulator = started ()
                use _ = emulator
                let gh = Github(rootOf emulator)

                for body, expected in
                    [
                        "version: 1\ntasks: [unclosed", "flow sequence"
                        "version: 2\ntasks: []", "version"
                        "version: 1\ntasks:\n  - {$eval: 'nosuchname'}", "nosuchname"
                        "version: 1\ntasks: {a: 1}", "tasks field"
                        "- just a list", "mapping"
                    ] do
                    let e = render gh "github-push" None [] body |> expectError 400 "InputError"
                    Expect.stringContains e.Message expected body
            }

            test "webhook deliveries must carry the configured secret's signature" {
                let emulator = started ()
                use _ = emulator
                let event = pushEvent "main" sha "a change"
                let status, text = deliver emulator "push" event None
                Expect.equal (status, text) (400, "Request missing a secret") "unsigned"
                let status, text = deliver emulator "push" event (Some "another secret")
                Expect.equal (status, text) (403, "X-hub-signature does not match; bad webhook secret?") "wrong secret"
                let status, text = deliver emulator "ping" (jobj [ "zen", jstr "hi" ]) (Some secret)
                Expect.equal (status, text) (200, "Received ping event!") "ping"
                let status, _ = deliver emulator "push" event (Some secret)
                Expect.equal status 204 "signed"

                let status, text =
                    deliver emulator "push" (pushEvent "main" sha "wip [ci skip]") (Some secret)

                Expect.equal (status, text) (200, "Skipping push event") "skipped"
                let other, _ = startWithClock DateTimeOffset.UtcNow
                use _ = other
                let status, text = deliver other "push" event (Some secret)
                Expect.equal (status, text) (400, "Server is not setup to handle secrets") "no secret configured"
            }

            test "a push creates the .taskcluster.yml's tasks with the branch's role and records a build" {
                let emulator = started ()
                use _ = emulator
                emulator.State.SetRepositoryFile("myorg", "myrepo", sha, ".taskcluster.yml", taskclusterYml)
                // another commit has no .taskcluster.yml: nothing happens
                push emulator "main" "ffffffffffffffffffffffffffffffffffffffff"
                Expect.isEmpty emulator.State.TaskIds "no file, no tasks"
                push emulator "main" sha
                Expect.equal emulator.State.TaskIds.Count 2 "two tasks"
                let gh = Github(rootOf emulator)
                let builds = run (gh.Builds()) |> ok "builds" |> prop "builds" |> items
                Expect.equal builds.Length 1 "one build"
                let b = builds.Head
                Expect.equal (str (prop "sha" b)) sha "sha"
                Expect.equal (str (prop "state" b)) "pending" "pending"
                Expect.equal (str (prop "eventType" b)) "push" "event type"
                Expect.equal (str (prop "eventId" b)) "72d3162e-cc78-11e3-81ab-4c9367dc0958" "the delivery id"
                let group = str (prop "taskGroupId" b)

                for id in emulator.State.TaskIds do
                    let def = JsonNode.Parse(emulator.State.TaskDefinitionJson id)
                    Expect.equal (string def["taskGroupId"]) group "in the build's group"

                let status = emulator.State.GithubStatuses |> Seq.exactlyOne
                Expect.equal (status.State, status.Sha, status.Context) ("pending", sha, "Taskcluster (push)") "status"
                Expect.equal status.TargetUrl $"{emulator.RootUrl}/tasks/groups/{group}" "links the group"

                let latest = run (gh.Typed.Latest("myorg", "myrepo", "main")) |> ok "latest"
                Expect.equal latest $"{emulator.RootUrl}/tasks/groups/{group}" "latest redirects to the group"

                run (gh.Typed.Latest("myorg", "myrepo", "other"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let repo = run (gh.Repository("myorg", "myrepo")) |> ok "repository"
                Expect.isTrue ((prop "installed" repo).GetBoolean()) "installed"
                let elsewhere = run (gh.Repository("someone", "else")) |> ok "repository"
                Expect.isFalse ((prop "installed" elsewhere).GetBoolean()) "not installed"
            }

            test "a .taskcluster.yml whose tasks the role does not allow leaves an error comment" {
                let emulator = started ()
                use _ = emulator
                let yml = taskclusterYml.Replace("proj-ci/linux", "elsewhere/linux")
                emulator.State.SetRepositoryFile("myorg", "myrepo", sha, ".taskcluster.yml", yml)
                push emulator "main" sha
                Expect.isEmpty emulator.State.TaskIds "no task"
                let comment = emulator.State.GithubComments |> Seq.exactlyOne
                Expect.equal comment.Sha sha "on the commit"
                Expect.stringContains comment.Body "InsufficientScopes" "says why"

                let builds =
                    run (Github(rootOf emulator).Builds()) |> ok "builds" |> prop "builds" |> items

                Expect.equal (builds |> List.map (prop "state" >> str)) [ "error" ] "the build failed to start"
            }

            test "builds filter and page; cancelBuilds cancels the pending ones" {
                let emulator = started ()
                use _ = emulator
                let shas = [ for i in 1..3 -> String(char (int 'a' + i), 40) ]

                for s in shas do
                    emulator.State.SetRepositoryFile("myorg", "myrepo", s, ".taskcluster.yml", taskclusterYml)
                    push emulator "main" s

                let gh = Github(rootOf emulator)
                let page1 = run (gh.Builds(limit = "2")) |> ok "page 1"
                Expect.equal (items (prop "builds" page1)).Length 2 "two"

                let page2 =
                    run (gh.Builds(continuationToken = str (prop "continuationToken" page1), limit = "2"))
                    |> ok "page 2"

                Expect.equal (items (prop "builds" page2) |> List.map (prop "sha" >> str)) [ shas[2] ] "the rest"

                let one =
                    run (gh.Builds(organization = "myorg", repository = "myrepo", sha = shas[1]))
                    |> ok "by sha"

                Expect.equal (items (prop "builds" one) |> List.map (prop "sha" >> str)) [ shas[1] ] "filtered"
                run (gh.Builds(sha = shas[1])) |> expectError 400 "InputError" |> ignore

                let cancelled =
                    run (gh.CancelBuilds("myorg", "myrepo", sha = shas[0])) |> ok "cancel"

                Expect.equal
                    (items (prop "builds" cancelled) |> List.map (prop "state" >> str))
                    [ "cancelled" ]
                    "cancelled"

                let group = str (prop "taskGroupId" (items (prop "builds" cancelled)).Head)

                for id in emulator.State.TaskIds do
                    let def = JsonNode.Parse(emulator.State.TaskDefinitionJson id)

                    if string def["taskGroupId"] = group then
                        Expect.equal (emulator.State.TaskState id) "exception" "its tasks are cancelled"
                    else
                        Expect.notEqual (emulator.State.TaskState id) "exception" "the others are not"

                run (gh.CancelBuilds("myorg", "myrepo", sha = shas[0]))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let all = run (gh.Builds()) |> ok "all" |> prop "builds" |> items
                Expect.equal (all |> List.map (prop "state" >> str)) [ "cancelled"; "pending"; "pending" ] "states"
            }

            test "statuses and comments are recorded for an installed owner, and need their scopes" {
                let emulator = started ()
                use _ = emulator

                let gh =
                    Github(
                        withScopes
                            emulator
                            [ "github:create-status:myorg/myrepo"; "github:create-comment:myorg/myrepo" ]
                    )

                let status =
                    Payload.Text """{"state": "success", "target_url": "https://example.com/x", "context": "ci"}"""

                run (gh.CreateStatus("myorg", "myrepo", sha, status))
                |> ok "createStatus"
                |> ignore

                run (gh.CreateComment("myorg", "myrepo", "7", Payload.Text """{"body": "hello"}"""))
                |> ok "comment"
                |> ignore

                let s = emulator.State.GithubStatuses |> Seq.exactlyOne

                Expect.equal
                    (s.State, s.TargetUrl, s.Context, s.Sha)
                    ("success", "https://example.com/x", "ci", sha)
                    "status"

                let c = emulator.State.GithubComments |> Seq.exactlyOne
                Expect.equal (c.Number, c.Body) ("7", "hello") "comment"

                run (gh.CreateStatus("myorg", "other", sha, status))
                |> expectMissing "github:create-status:myorg/other"

                let root = Github(rootOf emulator)

                run (root.CreateStatus("nobody", "repo", sha, status))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (root.CreateComment("nobody", "repo", "1", Payload.Text """{"body": "x"}"""))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (gh.Builds()) |> expectMissing "github:list-builds"

                run (gh.Repository("myorg", "myrepo"))
                |> expectMissing "github:get-repository:myorg:myrepo"
            }

            test "the badge is an SVG naming the branch's latest build state" {
                let emulator = started ()
                use _ = emulator
                let creds = Header(Signer.creds emulator.ClientId emulator.AccessToken)

                let badge owner branch =
                    let r =
                        run (
                            sendTo
                                creds
                                "GET"
                                $"{emulator.RootUrl}/api/github/v1/repository/{owner}/myrepo/{branch}/badge.svg"
                                None
                        )

                    Expect.equal r.Status 200 "an image"
                    Expect.equal (string r.ContentHeaders.ContentType.MediaType) "image/svg+xml" "SVG"
                    Expect.stringStarts r.Text "<svg" "an SVG document"
                    String.Join(",", r.Headers.GetValues "X-Taskcluster-Status")

                Expect.equal (badge "nobody" "main") "nogithub" "not installed"
                Expect.equal (badge "myorg" "main") "newrepo" "no build yet"
                emulator.State.SetRepositoryFile("myorg", "myrepo", sha, ".taskcluster.yml", taskclusterYml)
                push emulator "main" sha
                Expect.equal (badge "myorg" "main") "pending" "building"
            }

            test "story: a push's tasks are claimed and completed through the queue, and the build succeeds" {
                let emulator = started ()
                use _ = emulator
                emulator.State.SetRepositoryFile("myorg", "myrepo", sha, ".taskcluster.yml", taskclusterYml)
                push emulator "main" sha
                let queue = Queue(rootOf emulator)
                let gh = Github(rootOf emulator)

                let claim () =
                    let claimed =
                        run (
                            queue.ClaimWork(
                                "proj-ci/linux",
                                Payload.Text """{"tasks": 1, "workerGroup": "g", "workerId": "w"}"""
                            )
                        )
                        |> ok "claimWork"
                        |> prop "tasks"
                        |> items

                    claimed
                    |> List.map (fun c ->
                        str (prop "taskId" (prop "status" c)), str (prop "name" (prop "metadata" (prop "task" c))))

                // the test task waits for the build task
                let first = claim ()
                Expect.equal (first |> List.map snd) [ "build" ] "the build task first"
                Expect.isEmpty (claim ()) "the test task is not pending yet"

                run (queue.ReportCompleted(fst first.Head, "0"))
                |> ok "reportCompleted"
                |> ignore

                let state () =
                    str (prop "state" (items (prop "builds" (run (gh.Builds()) |> ok "builds"))).Head)

                Expect.equal (state ()) "pending" "one task still to run"
                let second = claim ()
                Expect.equal (second |> List.map snd) [ "test" ] "then the test task"

                run (queue.ReportCompleted(fst second.Head, "0"))
                |> ok "reportCompleted"
                |> ignore

                Expect.equal (state ()) "success" "every task completed"

                for id in emulator.State.TaskIds do
                    Expect.equal (emulator.State.TaskState id) "completed" "completed"
            }
        ]
