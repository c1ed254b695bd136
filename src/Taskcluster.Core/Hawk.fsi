namespace Taskcluster.Core

// Placeholder: this module is being written.
