module Taskcluster.Core.Tests.ScopeTests

open Expecto

// Placeholder: the Scope tests are being written.
let tests = testList "Scope" []
