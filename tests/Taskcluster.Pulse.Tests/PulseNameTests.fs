module Taskcluster.Pulse.Tests.PulseNameTests

open Expecto
open Taskcluster.Pulse

let tests =
    testList
        "PulseName"
        [
            test "a short queue name is put under the user's namespace" {
                Expect.equal (PulseName.queue "alice" "builds") (Ok "queue/alice/builds") "prefixed"

                Expect.equal
                    (PulseName.queue "alice" "a/b.c")
                    (Ok "queue/alice/a/b.c")
                    "slashes allowed after the namespace"
            }

            test "a full queue name must be under the user's namespace" {
                Expect.equal (PulseName.queue "alice" "queue/alice/builds") (Ok "queue/alice/builds") "its own"

                Expect.equal
                    (PulseName.queue "alice" "queue/bob/builds")
                    (Error(PulseNameError.QueueOutsideNamespace("queue/bob/builds", "alice")))
                    "another user's"

                Expect.equal
                    (PulseName.queue "alice" "queue/alice/")
                    (Error(PulseNameError.EmptyName "queue"))
                    "no name"
            }

            test "bad namespaces and names are typed errors naming the value" {
                Expect.equal (PulseName.queue "" "x") (Error PulseNameError.EmptyNamespace) "empty namespace"

                Expect.equal
                    (PulseName.queue "a/b" "x")
                    (Error(PulseNameError.InvalidNamespace "a/b"))
                    "slash in namespace"

                Expect.equal (PulseName.queue "alice" "") (Error(PulseNameError.EmptyName "queue")) "empty name"

                Expect.equal
                    (PulseName.queue "alice" "has space")
                    (Error(PulseNameError.InvalidCharacter "queue/alice/has space"))
                    "whitespace"

                let long = String.replicate 300 "x"

                match PulseName.queue "alice" long with
                | Error(PulseNameError.TooLong(_, bytes)) ->
                    Expect.equal bytes (300 + "queue/alice/".Length) "byte count"
                | other -> failtestf "expected TooLong, got %A" other

                let e = PulseNameError.QueueOutsideNamespace("queue/bob/x", "alice")
                Expect.stringContains (e.Describe()) "queue/bob/x" "the description quotes the name"
            }

            test "exchange names" {
                Expect.equal (PulseName.exchange "alice" "v1/things") (Ok "exchange/alice/v1/things") "built"

                Expect.equal
                    (PulseName.exchangeNamespace "exchange/taskcluster-queue/v1/task-completed")
                    (Ok "taskcluster-queue")
                    "read"

                for bad in
                    [
                        "exchange/"
                        "exchange/x"
                        "exchange/x/"
                        "queue/x/y"
                        "amq.topic"
                        ""
                        "exchange/a b/c"
                    ] do
                    Expect.equal (PulseName.exchangeNamespace bad) (Error(PulseNameError.NotAnExchangeName bad)) bad
            }
        ]
