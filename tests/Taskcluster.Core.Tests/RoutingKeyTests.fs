module Taskcluster.Core.Tests.RoutingKeyTests

open Expecto

// Placeholder: the RoutingKey tests are being written.
let tests = testList "RoutingKey" []
