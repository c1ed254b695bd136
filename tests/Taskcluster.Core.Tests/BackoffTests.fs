module Taskcluster.Core.Tests.BackoffTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 1000
    }

let private create options =
    match Backoff.create options with
    | Ok b -> b
    | Error e -> failtestf "options refused: %s" (e.Describe())

/// Valid options of every size: zero and huge delays, factors from 1 up, any allowed spread.
let private genOptions =
    gen {
        let! baseMs = Gen.frequency [ 1, Gen.constant 0; 8, Gen.choose (1, 5000) ]
        let! factorTenths = Gen.choose (10, 50)
        let! spreadPercent = Gen.choose (0, 99)

        let! capMs =
            Gen.frequency
                [
                    1, Gen.constant 0
                    8, Gen.choose (1, 600_000)
                    1, Gen.constant Int32.MaxValue
                ]

        return
            {
                BaseDelay = TimeSpan.FromMilliseconds(float baseMs)
                Factor = float factorTenths / 10.0
                RandomizationFactor = float spreadPercent / 100.0
                MaxDelay = TimeSpan.FromMilliseconds(float capMs)
            }
    }

let private genRandom =
    Gen.frequency
        [
            1, Gen.elements [ 0.0; 0.5; 0.999999999 ]
            8, Gen.choose (0, 999_999) |> Gen.map (fun i -> float i / 1_000_000.0)
        ]

let private genAttempt =
    Gen.frequency
        [
            8, Gen.choose (1, 40)
            1, Gen.choose (Int32.MinValue, 0)
            1, Gen.choose (41, Int32.MaxValue)
        ]

let private ticks (t: TimeSpan) = t.Ticks

let lawTests =
    testList
        "laws"
        [
            testPropertyWithConfig config "monotone non-decreasing in the attempt for a fixed random number"
            <| Prop.forAll (Arb.fromGen (Gen.zip3 genOptions genRandom (Gen.choose (1, 80)))) (fun (options, r, n) ->
                let b = create options
                Backoff.calculateSleepTime b n r <= Backoff.calculateSleepTime b (n + 1) r)

            testPropertyWithConfig config "within ±spread of the base curve and never above the cap"
            <| Prop.forAll (Arb.fromGen (Gen.zip3 genOptions genRandom genAttempt)) (fun (options, r, n) ->
                let b = create options
                let delay = float (ticks (Backoff.calculateSleepTime b n r))
                let curve = float (ticks (Backoff.baseDelay b n))
                let spread = options.RandomizationFactor
                // Both are rounded to whole ticks: half a tick on the delay, plus half a tick on
                // the curve scaled by up to (1 + spread) < 2, so under two ticks either way.
                delay >= curve * (1.0 - spread) - 2.0
                && delay <= curve * (1.0 + spread) + 2.0
                && delay <= float options.MaxDelay.Ticks
                && delay >= 0.0)

            testPropertyWithConfig config "r = 0.5 gives exactly the base curve"
            <| Prop.forAll (Arb.fromGen (Gen.zip genOptions genAttempt)) (fun (options, n) ->
                let b = create options
                Backoff.calculateSleepTime b n 0.5 = Backoff.baseDelay b n)

            testPropertyWithConfig config "the default curve is 100 ms doubling, capped at 30 s"
            <| Prop.forAll (Arb.fromGen (Gen.choose (1, 64))) (fun n ->
                // Integer arithmetic, independent of the floating point inside.
                let expected = if n > 20 then 30_000L else min 30_000L (100L <<< (n - 1))

                Backoff.baseDelay Backoff.defaults n = TimeSpan.FromMilliseconds(float expected))

            testPropertyWithConfig config "matches Python's calculateSleepTime with the defaults"
            <| Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 30)) genRandom)) (fun (n, r) ->
                // utils.calculateSleepTime: 2 ** (attempt - 1) * 0.1 s, spread, then min with 30 s.
                let delay = 2.0 ** float (n - 1) * 0.1
                let delay = delay * (0.25 * (r * 2.0 - 1.0) + 1.0)
                let expected = min delay 30.0
                let actual = (Backoff.calculateSleepTime Backoff.defaults n r).TotalSeconds
                abs (actual - expected) <= 1e-7)

            testPropertyWithConfig config "matches the JS client with a base delay of 200 ms"
            <| Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 30)) genRandom)) (fun (attempt, r) ->
                // retry.js after try `attempt` fails: 2 ** attempt * delayFactor, spread, then capped.
                let delay = 2.0 ** float attempt * 100.0
                let delay = delay * (r * 2.0 * 0.25 + 1.0 - 0.25)
                let expected = min delay 30_000.0

                let js =
                    create
                        { Backoff.defaultOptions with
                            BaseDelay = TimeSpan.FromMilliseconds 200L
                        }

                let actual = (Backoff.calculateSleepTime js attempt r).TotalMilliseconds
                abs (actual - expected) <= 1e-4)

            testPropertyWithConfig config "never throws, whatever the attempt and random number"
            <| fun (n: int) (r: float) ->
                let delay = Backoff.calculateSleepTime Backoff.defaults n r
                delay >= TimeSpan.Zero && delay <= TimeSpan.FromSeconds 30L
        ]

let edgeTests =
    testList
        "edges"
        [
            testCase "no wait before attempt 1; huge attempts wait the cap"
            <| fun () ->
                for n in [ 0; -1; Int32.MinValue ] do
                    Expect.equal (Backoff.calculateSleepTime Backoff.defaults n 0.9) TimeSpan.Zero $"attempt {n}"

                for n in [ 100; 1100; Int32.MaxValue ] do
                    Expect.equal
                        (Backoff.calculateSleepTime Backoff.defaults n 0.0)
                        (TimeSpan.FromSeconds 30L)
                        $"attempt {n}"

                let huge =
                    create
                        { Backoff.defaultOptions with
                            MaxDelay = TimeSpan.MaxValue
                        }

                Expect.equal (Backoff.calculateSleepTime huge Int32.MaxValue 0.0) TimeSpan.MaxValue "uncapped"

            testCase "random numbers outside [0, 1] are clamped, NaN is 0.5"
            <| fun () ->
                let at r =
                    Backoff.calculateSleepTime Backoff.defaults 3 r

                Expect.equal (at -5.0) (at 0.0) "below"
                Expect.equal (at Double.PositiveInfinity) (at 1.0) "above"
                Expect.equal (at Double.NaN) (at 0.5) "NaN"
                Expect.isLessThan (at 0.0) (at 0.5) "spread down"
                Expect.isGreaterThan (at 0.99) (at 0.5) "spread up"

            testCase "the defaults are the official constants"
            <| fun () ->
                let o = Backoff.defaults.Options
                Expect.equal o Backoff.defaultOptions "validated"
                Expect.equal o.BaseDelay (TimeSpan.FromMilliseconds 100L) "100 ms (DELAY_FACTOR = 0.1 s)"
                Expect.equal o.Factor 2.0 "doubling"
                Expect.equal o.RandomizationFactor 0.25 "RANDOMIZATION_FACTOR"
                Expect.equal o.MaxDelay (TimeSpan.FromSeconds 30L) "MAX_DELAY"

            testCase "bad options are typed errors"
            <| fun () ->
                let refused options expected =
                    match Backoff.create options with
                    | Ok _ -> failtestf "accepted %A" options
                    | Error e ->
                        Expect.isTrue (expected e) (e.Describe())
                        Expect.isNonEmpty (e.Describe()) "described"

                let d = Backoff.defaultOptions

                refused
                    { d with
                        BaseDelay = TimeSpan.FromTicks -1L
                    }
                    (function
                     | BackoffError.NegativeBaseDelay _ -> true
                     | _ -> false)

                for f in [ Double.NaN; 0.5; -2.0; Double.PositiveInfinity ] do
                    refused { d with Factor = f } (fun e -> e = BackoffError.InvalidFactor f || Double.IsNaN f)

                for f in [ Double.NaN; -0.1; 1.0; 7.0 ] do
                    refused { d with RandomizationFactor = f } (fun e ->
                        e = BackoffError.InvalidRandomizationFactor f || Double.IsNaN f)

                refused
                    { d with
                        MaxDelay = TimeSpan.FromSeconds -1L
                    }
                    (fun e -> e = BackoffError.NegativeMaxDelay(TimeSpan.FromSeconds -1L))

                Expect.stringContains ((BackoffError.InvalidFactor 0.5).Describe()) "0.5" "quoted"

            testCase "zero delays and no spread are allowed"
            <| fun () ->
                let flat =
                    create
                        {
                            BaseDelay = TimeSpan.FromSeconds 1L
                            Factor = 1.0
                            RandomizationFactor = 0.0
                            MaxDelay = TimeSpan.FromSeconds 10L
                        }

                Expect.equal (Backoff.calculateSleepTime flat 7 0.9) (TimeSpan.FromSeconds 1L) "constant"

                let none =
                    create
                        { Backoff.defaultOptions with
                            BaseDelay = TimeSpan.Zero
                        }

                Expect.equal (Backoff.calculateSleepTime none Int32.MaxValue 0.3) TimeSpan.Zero "zero"
        ]

let tests = testList "Backoff" [ lawTests; edgeTests ]
