module Taskcluster.Core.Tests.RoleTests

open Expecto

// Placeholder: the Role tests are being written.
let tests = testList "Role" []
