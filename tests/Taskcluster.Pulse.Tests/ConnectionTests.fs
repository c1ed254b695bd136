module Taskcluster.Pulse.Tests.ConnectionTests

open Expecto
open Taskcluster.Pulse

let private ok r =
    match r with
    | Ok v -> v
    | Error(e: PulseConnectionError) -> failtestf "unexpected error: %s" (e.Describe())

let tests =
    testList
        "PulseConnection"
        [
            test "an amqps URL with a port and an escaped virtual host" {
                let c =
                    PulseConnection.parseUrl "amqps://alice:p%40ss@pulse.example.com:5999/my%2Fvhost"
                    |> ok

                Expect.equal c.Hostname "pulse.example.com" "host"
                Expect.equal c.Port 5999 "port"
                Expect.equal c.Username "alice" "user"
                Expect.equal c.Password "p@ss" "password, unescaped"
                Expect.equal c.VirtualHost "my/vhost" "vhost, unescaped"
                Expect.isTrue c.UseTls "amqps is TLS"
            }

            test "default ports and virtual host" {
                let plain = PulseConnection.parseUrl "amqp://u:p@localhost" |> ok
                Expect.equal (plain.Port, plain.UseTls, plain.VirtualHost) (5672, false, "/") "amqp"
                let tls = PulseConnection.parseUrl "amqps://u:p@localhost/" |> ok
                Expect.equal (tls.Port, tls.UseTls) (5671, true) "amqps"
            }

            test "bad URLs are typed errors without the password" {
                Expect.equal
                    (PulseConnection.parseUrl "http://u:p@h/")
                    (Error(PulseConnectionError.UnsupportedScheme "http"))
                    "scheme"

                match PulseConnection.parseUrl "amqp://user:secret-pw@h/a/b" with
                | Error(PulseConnectionError.InvalidUrl(url, _) as e) ->
                    Expect.isFalse (url.Contains "secret-pw") "no password in the URL"
                    Expect.isFalse ((e.Describe()).Contains "secret-pw") "nor in the description"
                | other -> failtestf "expected InvalidUrl, got %A" other

                Expect.isError (PulseConnection.parseUrl "amqp://h/") "no credentials"
                Expect.equal (PulseConnection.parseUrl "") (Error(PulseConnectionError.MissingSetting "url")) "empty"
            }

            test "ToString never shows the password" {
                let c = PulseConnection.create "h" "alice" "secret-pw" "/" true |> ok
                Expect.isFalse ((string c).Contains "secret-pw") "ToString"
                Expect.isFalse ((sprintf "%A" c).Contains "secret-pw") "%A"
                Expect.stringContains (string c) "amqps://alice@h:5671/" "what it shows"
            }

            test "from the environment: PULSE_URL first, else the parts over TLS" {
                let env (pairs: (string * string) list) name =
                    pairs |> List.tryFind (fst >> (=) name) |> Option.map snd

                let fromUrl =
                    PulseConnection.fromEnvironmentWith (
                        env [ "PULSE_URL", "amqp://u:p@h:1234/"; "PULSE_HOSTNAME", "other" ]
                    )
                    |> ok

                Expect.equal (fromUrl.Hostname, fromUrl.Port) ("h", 1234) "the URL wins"

                let parts =
                    PulseConnection.fromEnvironmentWith (
                        env
                            [
                                "PULSE_HOSTNAME", "pulse.example.com"
                                "PULSE_USERNAME", "alice"
                                "PULSE_PASSWORD", "pw"
                                "PULSE_VHOST", "v"
                            ]
                    )
                    |> ok

                Expect.equal
                    (parts.Hostname, parts.Port, parts.UseTls, parts.VirtualHost)
                    ("pulse.example.com", 5671, true, "v")
                    "parts"

                Expect.equal
                    (PulseConnection.fromEnvironmentWith (env [ "PULSE_HOSTNAME", "h"; "PULSE_USERNAME", "u" ]))
                    (Error(PulseConnectionError.MissingSetting "PULSE_PASSWORD"))
                    "a missing part is named"

                Expect.equal
                    (PulseConnection.fromEnvironmentWith (
                        env
                            [
                                "PULSE_HOSTNAME", "h"
                                "PULSE_USERNAME", "u"
                                "PULSE_PASSWORD", "p"
                                "PULSE_PORT", "x"
                            ]
                    ))
                    (Error(PulseConnectionError.InvalidPort "x"))
                    "a bad port is named"
            }
        ]
