module Taskcluster.Core.Tests.BackoffTests

open Expecto

// Placeholder: the Backoff tests are being written.
let tests = testList "Backoff" []
