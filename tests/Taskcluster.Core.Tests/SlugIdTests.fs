module Taskcluster.Core.Tests.SlugIdTests

open Expecto

// Placeholder: the SlugId tests are being written.
let tests = testList "SlugId" []
