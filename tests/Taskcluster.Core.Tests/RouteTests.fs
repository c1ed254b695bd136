module Taskcluster.Core.Tests.RouteTests

open Expecto

// Placeholder: the Route tests are being written.
let tests = testList "Route" []
