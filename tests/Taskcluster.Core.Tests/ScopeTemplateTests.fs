module Taskcluster.Core.Tests.ScopeTemplateTests

open Expecto

// Placeholder: the ScopeTemplate tests are being written.
let tests = testList "ScopeTemplate" []
