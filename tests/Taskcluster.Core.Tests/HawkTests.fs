module Taskcluster.Core.Tests.HawkTests

open Expecto

// Placeholder: the Hawk tests are being written.
let tests = testList "Hawk" []
