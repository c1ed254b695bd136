/// The hooks service, through the generated `Hooks` client: definitions, triggers, tokens, last
/// fires and schedules on the emulator's clock, tasks landing in the emulator's queue.
module Taskcluster.Emulator.Tests.HooksTests

open System
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private metadata =
    jobj
        [
            "name", jstr "nightly"
            "description", jstr "a hook of the emulator tests"
            "owner", jstr "owner@example.com"
            "emailOnError", JsonValue.Create false
        ]

/// A task template reporting what the hooks service put in its context.
let private template (queue: string) =
    JsonNode.Parse(
        $$"""{
            "taskQueueId": "{{queue}}",
            "payload": {
                "firedBy": {"$eval": "firedBy"},
                "taskId": {"$eval": "taskId"},
                "now": {"$eval": "now"}
            },
            "metadata": {
                "name": "hook task",
                "description": "made by a hook",
                "owner": "owner@example.com",
                "source": "https://example.com/hooks"
            }
        }"""
    )

let private hookBody (task: JsonNode) (extra: (string * JsonNode) list) =
    Payload.Node(jobj ([ "metadata", metadata.DeepClone(); "task", task ] @ extra))

/// The scopes a hook's role needs to create tasks in `proj-hooks/*` at the lowest priority.
let private roleScopes =
    [
        "queue:create-task:project:none"
        "queue:scheduler-id:-"
        "queue:create-task:lowest:proj-hooks/*"
    ]

let private str (e: JsonElement) = e.GetString()

let tests =
    testList
        "Hooks"
        [
            test "hooks are created, read, listed, updated and removed" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let hooks = Hooks(rootOf emulator)

                let created =
                    run (hooks.CreateHook("grp", "a/b", hookBody (template "proj-hooks/linux") []))
                    |> ok "createHook"

                Expect.equal (str (prop "hookId" created)) "a/b" "hookId"
                Expect.equal (items (prop "schedule" created)) [] "schedule defaults to none"
                Expect.equal (str (prop "type" (prop "triggerSchema" created))) "object" "triggerSchema default"

                run (hooks.CreateHook("grp", "other", hookBody (template "proj-hooks/linux") []))
                |> ok "createHook"
                |> ignore

                let groups = run (hooks.ListHookGroups()) |> ok "listHookGroups"
                Expect.equal (items (prop "groups" groups) |> List.map str) [ "grp" ] "one group"
                let listed = run (hooks.ListHooks "grp") |> ok "listHooks"

                Expect.equal
                    (items (prop "hooks" listed) |> List.map (prop "hookId" >> str))
                    [ "a/b"; "other" ]
                    "sorted"

                // the same request again is a retry; another one a conflict
                run (hooks.CreateHook("grp", "a/b", hookBody (template "proj-hooks/linux") []))
                |> ok "idempotent createHook"
                |> ignore

                run (hooks.CreateHook("grp", "a/b", hookBody (template "proj-hooks/mac") []))
                |> expectError 409 "RequestConflict"
                |> ignore

                let updated =
                    run (hooks.UpdateHook("grp", "a/b", hookBody (template "proj-hooks/mac") []))
                    |> ok "updateHook"

                Expect.equal (str (prop "taskQueueId" (prop "task" updated))) "proj-hooks/mac" "updated"
                let read = run (hooks.Hook("grp", "a/b")) |> ok "hook"
                Expect.equal (str (prop "taskQueueId" (prop "task" read))) "proj-hooks/mac" "read back"

                run (hooks.RemoveHook("grp", "a/b")) |> ok "removeHook" |> ignore
                run (hooks.Hook("grp", "a/b")) |> expectError 404 "ResourceNotFound" |> ignore
                run (hooks.RemoveHook("grp", "other")) |> ok "removeHook" |> ignore
                run (hooks.ListHooks "grp") |> expectError 404 "ResourceNotFound" |> ignore

                run (hooks.UpdateHook("grp", "a/b", hookBody (template "proj-hooks/mac") []))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "bad schedules, ids that differ from the route and bad trigger payloads are refused" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let hooks = Hooks(rootOf emulator)

                let e =
                    run (
                        hooks.CreateHook(
                            "grp",
                            "h",
                            hookBody (template "proj-hooks/linux") [ "schedule", jstrs [ "61 * * * *" ] ]
                        )
                    )
                    |> expectError 400 "InputError"

                Expect.stringContains e.Message "61 * * * *" "names the pattern"

                run (hooks.CreateHook("grp", "h", hookBody (template "proj-hooks/linux") [ "hookId", jstr "x" ]))
                |> expectError 400 "InputError"
                |> ignore

                let strict =
                    jobj
                        [
                            "type", jstr "object"
                            "properties", jobj [ "who", jobj [ "type", jstr "string" ] ]
                            "required", jstrs [ "who" ]
                        ]

                run (hooks.CreateHook("grp", "h", hookBody (template "proj-hooks/linux") [ "triggerSchema", strict ]))
                |> ok "createHook"
                |> ignore

                run (hooks.TriggerHook("grp", "h", Payload.Text """{"who": 5}"""))
                |> expectError 400 "InputError"
                |> ignore

                run (hooks.TriggerHook("grp", "h", Payload.Text """{"who": "me", "taskId": "not-a-slug"}"""))
                |> expectError 400 "InputError"
                |> ignore
            }

            test
                "triggerHook renders the template with firedBy, payload, clientId, taskId and now, and creates the task with the hook's role" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                emulator.State.CreateRole("hook-id:grp/h", roleScopes)
                let root = rootOf emulator
                let hooks = Hooks(root)

                let task =
                    JsonNode.Parse(
                        """{
                            "taskQueueId": "proj-hooks/linux",
                            "payload": {"who": {"$eval": "payload.who"}, "firedBy": {"$eval": "firedBy"},
                                        "clientId": {"$eval": "clientId"}, "taskId": {"$eval": "taskId"}},
                            "metadata": {"name": "t", "description": "d", "owner": "owner@example.com",
                                         "source": "https://example.com/hooks"}
                        }"""
                    )

                // the default trigger schema accepts only `{}`
                let open' = [ "triggerSchema", jobj [ "type", jstr "object" ] ]

                run (hooks.CreateHook("grp", "h", hookBody task open'))
                |> ok "createHook"
                |> ignore

                let trigger = withScopes emulator [ "hooks:trigger-hook:grp/h" ]

                let fired =
                    run (Hooks(trigger).TriggerHook("grp", "h", Payload.Text """{"who": "me"}"""))
                    |> ok "triggerHook"

                let taskId = str (prop "taskId" fired)
                Expect.equal (str (prop "taskId" (prop "status" fired))) taskId "status.taskId too"

                let def = run (Queue(root).Task taskId) |> ok "queue.task"
                let payload = prop "payload" def
                Expect.equal (str (prop "who" payload)) "me" "payload from the trigger"
                Expect.equal (str (prop "firedBy" payload)) "triggerHook" "firedBy"
                Expect.stringStarts (str (prop "clientId" payload)) "test/" "the caller's clientId"
                Expect.equal (str (prop "taskId" payload)) taskId "the taskId in the context"
                Expect.equal (str (prop "taskGroupId" def)) taskId "the task group defaults to the task"
                Expect.equal (emulator.State.TaskState taskId) "pending" "the task is in the queue"

                // a taskId chosen by the caller is used
                let mine = slugId ()

                let chosen =
                    run (hooks.TriggerHook("grp", "h", Payload.Text $$"""{"who": "you", "taskId": "{{mine}}"}"""))
                    |> ok "triggerHook"

                Expect.equal (str (prop "taskId" chosen)) mine "the caller's taskId"

                let fires = run (hooks.ListLastFires("grp", "h")) |> ok "listLastFires"
                let listed = items (prop "lastFires" fires)
                Expect.equal (listed |> List.map (prop "taskId" >> str)) [ mine; taskId ] "newest first"
                Expect.equal (listed |> List.map (prop "result" >> str)) [ "success"; "success" ] "both succeeded"
                Expect.equal (str (prop "taskState" listed.Head)) "pending" "the task's state"

                let status = run (hooks.GetHookStatus("grp", "h")) |> ok "getHookStatus"
                Expect.equal (str (prop "taskId" (prop "lastFire" status))) mine "the last fire"
                Expect.isFalse (fst (status.TryGetProperty "nextScheduledDate")) "no schedule, no next date"
            }

            test "a role that cannot create the task makes triggerHook 403 naming the role, recorded as an error" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                emulator.State.CreateRole("hook-id:grp/poor", [ "queue:scheduler-id:-" ])
                let hooks = Hooks(rootOf emulator)

                run (hooks.CreateHook("grp", "poor", hookBody (template "proj-hooks/linux") []))
                |> ok "createHook"
                |> ignore

                match run (hooks.TriggerHook("grp", "poor", Payload.Text "{}")) with
                | Error(TaskclusterError.InsufficientScopes e) ->
                    Expect.stringContains e.Message "hook-id:grp/poor" "names the role"

                    Expect.isTrue
                        (e.MissingScopes
                         |> List.exists (fun s -> s.Contains "queue:create-task:project:none"))
                        "names the scope"
                | other -> failtestf "expected 403, got %A" other

                let status = run (hooks.GetHookStatus("grp", "poor")) |> ok "getHookStatus"
                Expect.equal (str (prop "result" (prop "lastFire" status))) "error" "recorded"

                Expect.equal
                    (str (prop "code" (prop "error" (prop "lastFire" status))))
                    "InsufficientScopes"
                    "the queue's code"

                Expect.isEmpty emulator.State.TaskIds "no task"
            }

            test "trigger tokens trigger without credentials until reset; a template that declines makes no task" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                emulator.State.CreateRole("hook-id:grp/tok", roleScopes)
                let hooks = Hooks(rootOf emulator)

                let declining =
                    JsonNode.Parse(
                        """{"$if": "payload.go", "then": {
                            "taskQueueId": "proj-hooks/linux",
                            "payload": {"firedBy": {"$eval": "firedBy"}},
                            "metadata": {"name": "t", "description": "d", "owner": "owner@example.com",
                                         "source": "https://example.com/hooks"}}}"""
                    )

                run (
                    hooks.CreateHook(
                        "grp",
                        "tok",
                        hookBody declining [ "triggerSchema", jobj [ "type", jstr "object" ] ]
                    )
                )
                |> ok "createHook"
                |> ignore

                let token =
                    str (prop "token" (run (hooks.GetTriggerToken("grp", "tok")) |> ok "getTriggerToken"))

                let anonymous =
                    match Options.create emulator.RootUrl |> Client.create with
                    | Ok c -> Hooks c
                    | Error e -> failtestf "%A" e

                let fired =
                    run (anonymous.TriggerHookWithToken("grp", "tok", token, Payload.Text """{"go": true}"""))
                    |> ok "with token"

                let taskId = str (prop "taskId" fired)
                let def = run (Queue(rootOf emulator).Task taskId) |> ok "queue.task"
                Expect.equal (str (prop "firedBy" (prop "payload" def))) "triggerHookWithToken" "firedBy"

                let declined =
                    run (anonymous.TriggerHookWithToken("grp", "tok", token, Payload.Text """{"go": false}"""))
                    |> ok "declined"

                Expect.isFalse (fst (declined.TryGetProperty "taskId")) "no task"
                Expect.equal emulator.State.TaskIds.Count 1 "still one task"

                let fresh =
                    str (prop "token" (run (hooks.ResetTriggerToken("grp", "tok")) |> ok "reset"))

                Expect.notEqual fresh token "a new token"

                run (anonymous.TriggerHookWithToken("grp", "tok", token, Payload.Text """{"go": true}"""))
                |> expectError 401 "AuthenticationFailed"
                |> ignore

                run (anonymous.TriggerHookWithToken("grp", "tok", fresh, Payload.Text """{"go": true}"""))
                |> ok "new token"
                |> ignore
            }

            test "a scheduled hook fires when the emulator's clock passes its date, with the scheduled time as now" {
                let start = DateTimeOffset(2030, 3, 4, 10, 0, 30, TimeSpan.Zero)
                let emulator, clock = startWithClock start
                use _ = emulator
                emulator.State.CreateRole("hook-id:grp/cron", roleScopes)
                let hooks = Hooks(rootOf emulator)

                run (
                    hooks.CreateHook(
                        "grp",
                        "cron",
                        hookBody (template "proj-hooks/linux") [ "schedule", jstrs [ "0 0 * * * *" ] ]
                    )
                )
                |> ok "createHook"
                |> ignore

                let status = run (hooks.GetHookStatus("grp", "cron")) |> ok "status"
                let eleven = DateTimeOffset(2030, 3, 4, 11, 0, 0, TimeSpan.Zero)
                Expect.equal ((prop "nextScheduledDate" status).GetDateTimeOffset()) eleven "the next hour"
                Expect.equal (str (prop "result" (prop "lastFire" status))) "no-fire" "not yet"
                Expect.isEmpty emulator.State.TaskIds "no task before the time"

                clock.Advance(TimeSpan.FromMinutes 59.0 + TimeSpan.FromSeconds 35.0)
                let fired = run (hooks.GetHookStatus("grp", "cron")) |> ok "status"
                Expect.equal (str (prop "result" (prop "lastFire" fired))) "success" "fired"
                let taskId = str (prop "taskId" (prop "lastFire" fired))
                Expect.equal ((prop "nextScheduledDate" fired).GetDateTimeOffset()) (eleven.AddHours 1.0) "moved on"

                let def = run (Queue(rootOf emulator).Task taskId) |> ok "queue.task"
                Expect.equal (str (prop "firedBy" (prop "payload" def))) "schedule" "firedBy"

                Expect.equal
                    (str (prop "now" (prop "payload" def)))
                    "2030-03-04T11:00:00.000Z"
                    "now is the scheduled time"

                Expect.equal ((prop "created" def).GetDateTimeOffset()) eleven "created at the scheduled time"

                let fires = run (hooks.ListLastFires("grp", "cron")) |> ok "listLastFires"

                Expect.equal
                    (items (prop "lastFires" fires) |> List.map (prop "firedBy" >> str))
                    [ "schedule" ]
                    "one fire"
            }

            test "a scheduled fire the queue refuses is recorded as an error and emails the owner" {
                let start = DateTimeOffset(2030, 3, 4, 10, 0, 30, TimeSpan.Zero)
                let emulator, clock = startWithClock start
                use _ = emulator
                let hooks = Hooks(rootOf emulator)
                // no role hook-id:grp/fails: the queue refuses the task
                let loud =
                    [
                        "metadata",
                        jobj [ "name", jstr "n"; "description", jstr "d"; "owner", jstr "owner@example.com" ]
                    ]

                run (
                    hooks.CreateHook(
                        "grp",
                        "fails",
                        hookBody (template "proj-hooks/linux") (loud @ [ "schedule", jstrs [ "*/10 * * * *" ] ])
                    )
                )
                |> ok "createHook"
                |> ignore

                clock.Advance(TimeSpan.FromMinutes 9.0 + TimeSpan.FromSeconds 35.0)
                let status = run (hooks.GetHookStatus("grp", "fails")) |> ok "status"
                Expect.equal (str (prop "result" (prop "lastFire" status))) "error" "recorded as an error"

                Expect.equal
                    ((prop "nextScheduledDate" status).GetDateTimeOffset())
                    (DateTimeOffset(2030, 3, 4, 10, 20, 0, TimeSpan.Zero))
                    "the schedule moved on"

                Expect.isEmpty emulator.State.TaskIds "no task"

                let emails =
                    emulator.State.Notifications
                    |> Seq.filter (fun n -> n.Kind = "email")
                    |> Seq.toList

                Expect.equal (emails |> List.map (fun n -> n.Address)) [ "owner@example.com" ] "the owner is told"
                Expect.stringContains emails.Head.RequestJson "grp/fails" "about the hook"
            }

            test "each method needs its scopes" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator

                run (Hooks(rootOf emulator).CreateHook("grp", "h", hookBody (template "proj-hooks/linux") []))
                |> ok "createHook"
                |> ignore

                let hooks = Hooks(withScopes emulator [ "hooks:modify-hook:grp/h" ])
                run (hooks.ListHookGroups()) |> expectMissing "hooks:list-hooks:"
                run (hooks.ListHooks "grp") |> expectMissing "hooks:list-hooks:grp"
                run (hooks.Hook("grp", "h")) |> expectMissing "hooks:get:grp:h"
                run (hooks.GetHookStatus("grp", "h")) |> expectMissing "hooks:status:grp/h"

                run (hooks.CreateHook("grp", "h2", hookBody (template "proj-hooks/linux") []))
                |> expectMissing "hooks:modify-hook:grp/h2"

                run (hooks.UpdateHook("grp", "h", hookBody (template "proj-hooks/linux") []))
                |> expectMissing "assume:hook-id:grp/h"

                run (hooks.TriggerHook("grp", "h", Payload.Text "{}"))
                |> expectMissing "hooks:trigger-hook:grp/h"

                run (hooks.GetTriggerToken("grp", "h"))
                |> expectMissing "hooks:get-trigger-token:grp/h"

                run (hooks.ResetTriggerToken("grp", "h"))
                |> expectMissing "hooks:reset-trigger-token:grp/h"

                run (hooks.ListLastFires("grp", "h"))
                |> expectMissing "hooks:list-last-fires:grp/h"

                run (Hooks(withScopes emulator [ "hooks:get:*" ]).RemoveHook("grp", "h"))
                |> expectMissing "hooks:modify-hook:grp/h"
            }
        ]
