module Taskcluster.Core.Tests.ReferenceTests

open Expecto

// Placeholder: the Reference tests are being written.
let tests = testList "Reference" []
