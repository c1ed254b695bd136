module Taskcluster.Emulator.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Emulator"
        [
            UtilTests.tests
            SharedFrameworkTests.tests
            ScopesTests.tests
            BlobsTests.tests
            RolesTests.tests
            HawkTests.tests
            AuthenticatorTests.tests
            PaginationTests.tests
            RouteParamsTests.tests
            RoutingTests.tests
            AuthTests.tests
            CloudCredentialsTests.tests
            QueueTests.tests
            ObjectTests.tests
            SecretsTests.tests
            IndexTests.tests
            PurgeCacheTests.tests
            HooksTests.tests
            NotifyTests.tests
            WebServerTests.tests
            QueueViewsTests.tests
            QueueGroupsTests.tests
            QueueWorkersTests.tests
            QueueDueTests.tests
            QueueConcurrencyTests.tests
            WorkerManagerTests.tests
            GithubTests.tests
            FaultTests.tests
            HostTests.tests
            HostileTests.tests
            PublisherTests.tests
        ]

[<EntryPoint>]
let main argv =
    if argv |> Array.contains "--bench" then
        (Bench.run ()).GetAwaiter().GetResult()
    else
        let code = runTestsWithCLIArgs [] argv allTests

        // the shared emulator owns a temporary blob folder: stop it so the folder goes too
        if Harness.shared.IsValueCreated then
            Harness.shared.Value.StopAsync().GetAwaiter().GetResult()

        code
