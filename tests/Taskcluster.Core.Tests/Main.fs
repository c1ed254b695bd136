module Taskcluster.Core.Tests.Main

open Expecto

let allTests =
    testList
        "Taskcluster.Core"
        [
            JsonTests.tests
            SlugIdTests.tests
            ScopeTests.tests
            ScopeTemplateTests.tests
            RoleTests.tests
            FromNowTests.tests
            BackoffTests.tests
            UrlHostTests.tests
            RootUrlTests.tests
            HawkTests.tests
            CertificateTests.tests
            ReferenceTests.tests
            RouteTests.tests
            RoutingKeyTests.tests
            PurityTests.tests
            PolicyExampleTests.tests
            HostileTests.tests
            JsonEValueTests.tests
            JsonELexerTests.tests
            JsonETests.tests
        ]

[<EntryPoint>]
let main argv = runTestsWithCLIArgs [] argv allTests
