namespace Taskcluster.Testing

// Placeholder: generators for this area are being written.
