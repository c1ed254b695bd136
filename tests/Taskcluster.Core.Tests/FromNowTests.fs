module Taskcluster.Core.Tests.FromNowTests

open Expecto

// Placeholder: the FromNow tests are being written.
let tests = testList "FromNow" []
