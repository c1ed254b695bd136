module Taskcluster.Core.Tests.CertificateTests

open Expecto

// Placeholder: the Certificate tests are being written.
let tests = testList "Certificate" []
