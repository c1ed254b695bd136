module Taskcluster.Client.Tests.HelpersTests

open System
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.Fixtures

let tests =
    testList
        "Helpers"
        [
            test "slugId gives nice v4 slugIds, all different" {
                let ids = [ for _ in 1..2000 -> Helpers.slugId () ]

                for id in ids do
                    Expect.isTrue id.IsNice $"{id} is nice"
                    Expect.isTrue (SlugId.isNice id.Value) "by the official pattern"

                Expect.equal (List.distinct ids).Length ids.Length "no repeats"
            }

            test "stableSlugId gives one id per name, and different ids to different names" {
                let stable = Helpers.stableSlugId ()
                let a = stable "a"
                Expect.equal (stable "a") a "same name, same id"
                Expect.notEqual (stable "b") a "another name, another id"
                Expect.notEqual ((Helpers.stableSlugId ()) "a") a "another generator, another id"
            }

            test "stableSlugId is consistent under concurrency" {
                let stable = Helpers.stableSlugId ()
                let names = [| for i in 0..49 -> $"task-{i}" |]
                let seen = Collections.Concurrent.ConcurrentBag<string * SlugId>()

                Parallel.For(0, 2000, fun i -> seen.Add(names[i % 50], stable names[i % 50]))
                |> ignore

                let byName =
                    seen
                    |> Seq.groupBy fst
                    |> Seq.map (fun (_, ids) -> ids |> Seq.map snd |> Seq.distinct |> Seq.length)

                Expect.allEqual byName 1 "one id per name"
            }

            test "temporary credentials verify as the auth service checks them" {
                let now = DateTimeOffset.UtcNow

                let t =
                    Helpers.createTemporaryCredentials credentials now (now.AddHours 2.0) [ "a:b"; "c:*" ] None
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                Expect.equal t.ClientId clientId "unnamed: the issuer's id"
                Expect.equal t.Certificate.Seed.Length 44 "two slugIds of seed"

                match Certificate.verify t.Certificate t.ClientId accessToken (now.ToUnixTimeMilliseconds()) with
                | Ok v ->
                    Expect.equal v.AccessToken t.AccessToken "the derived token"
                    Expect.equal v.Scopes [ "a:b"; "c:*" ] "scopes"
                | Error e -> failtest (e.Describe())
            }

            test "named temporary credentials, read from a clock" {
                let clock = FixedClock(DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))

                let t =
                    Helpers.createTemporaryCredentialsFor
                        clock
                        credentials
                        (TimeSpan.FromHours 1.0)
                        []
                        (Some "worker/1")
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                Expect.equal t.ClientId "worker/1" "named"
                Expect.equal t.Certificate.Start (clock.Now.ToUnixTimeMilliseconds()) "start is now"
                Expect.equal t.Certificate.Expiry (clock.Now.AddHours(1.0).ToUnixTimeMilliseconds()) "expiry"
                Expect.equal t.Certificate.Issuer (Some clientId) "issuer"
            }

            test "temporary credentials cannot issue temporary credentials, nor last over 31 days" {
                let now = DateTimeOffset.UtcNow

                let t =
                    Helpers.createTemporaryCredentials credentials now (now.AddHours 1.0) [] None
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                match Helpers.createTemporaryCredentials (Helpers.credentialsOf t) now (now.AddHours 1.0) [] None with
                | Error(CertificateError.AlreadyTemporary _) -> ()
                | other -> failtestf "unexpected %A" other

                match Helpers.createTemporaryCredentials credentials now (now.AddDays 32.0) [] None with
                | Error(CertificateError.LifetimeTooLong _) -> ()
                | other -> failtestf "unexpected %A" other
            }
        ]
