using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Microsoft.FSharp.Reflection;
using Xunit;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster.Tests;

/// <summary>
/// Every case of the F# transfer and configuration error unions becomes a facade error of its own
/// kind, with the F# description and the bad values as properties. A case added to either union
/// without a mapping fails <see cref="EveryCaseIsCovered"/>.
/// </summary>
public sealed class ErrorMappingTests
{
    private static readonly F.RequestInfo Timed = new("object.createUpload (putUrl)", "PUT", "https://storage.example.com/blob");

    private static readonly F.ServiceError Refused = new(
        new F.RequestInfo("queue.createTask", "PUT", "https://tc.example.com/api/queue/v1/task/abc"),
        403,
        "Forbidden",
        FSharpOption<string>.Some("InsufficientScopes"),
        "Client ID x does not have sufficient scopes and are missing the following scopes:\n\n```\nqueue:create-task:x\n```",
        null,
        1,
        ListModule.OfSeq(new[] { "queue:create-task:x", "queue:scheduler-id:y" }),
        FSharpOption<string>.Some("req-7"));

    private const string PreSigned = "https://bucket.s3.amazonaws.com/o?X-Amz-Credential=S3CR3Tcred&X-Amz-Signature=S3CR3Tsig";

    private static readonly DateTimeOffset Ours = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Theirs = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly F.TaskclusterError[] RequestErrors =
    {
        F.TaskclusterError.NewInvalidRequest("queue.task", F.RequestError.MissingPayload),
        F.TaskclusterError.NewAuthenticationFailed(Refused),
        F.TaskclusterError.NewInsufficientScopes(Refused),
        F.TaskclusterError.NewClientError(Refused),
        F.TaskclusterError.NewServerError(Refused),
        F.TaskclusterError.NewRedirect(Refused, FSharpOption<string>.Some(PreSigned)),
        F.TaskclusterError.NewConnectionFailed(Timed, "reset", 2),
        F.TaskclusterError.NewTimeout(Timed, TimeSpan.FromSeconds(30), 3),
        F.TaskclusterError.NewCancelled(Timed),
        F.TaskclusterError.NewInvalidResponse(Timed, 200, new C.DecodeError("$.url", C.DecodeReason.NewInvalidValue("not an http(s) URL"))),
        F.TaskclusterError.NewClockSkew(Timed, Ours, Theirs, TimeSpan.FromHours(24)),
    };

    private static readonly F.TransferError[] TransferErrors =
    {
        F.TransferError.NewRequest(F.TaskclusterError.NewTimeout(Timed, TimeSpan.FromSeconds(30), 3)),
        F.TransferError.NewHashMismatch("tests/a", "sha512", "aa11", "bb22"),
        F.TransferError.NewLengthMismatch("tests/a", 100, 99),
        F.TransferError.NewNoAcceptableHash("tests/a", ListModule.OfSeq(new[] { "md5" })),
        F.TransferError.NewUnsupportedMethod("tests/a", "carrierPigeon"),
        F.TransferError.NewArtifactError("taskid", "public/x", "too-large-file-on-worker", "5 GB"),
        F.TransferError.NewInvalidArgument("runId", "must not be negative"),
        F.TransferError.NewFileError("dir/missing.bin", "Could not find file"),
    };

    private static readonly F.ConfigError[] ConfigErrors =
    {
        F.ConfigError.NewInvalidOptions(F.OptionsError.MissingRootUrl),
        F.ConfigError.NewInvalidOptions(F.OptionsError.NewInvalidMaxRetries(-1)),
        F.ConfigError.NewUnknownService("nope"),
        F.ConfigError.NewRequest(F.TaskclusterError.NewCancelled(Timed)),
        F.ConfigError.MissingSecretName,
        F.ConfigError.NewNotAnObject("the section \"ci\"", JsonValueKind.Array),
        F.ConfigError.NewMissingSecrets(ListModule.OfSeq(new[] { "token", "password" })),
        F.ConfigError.NewUnreadableKey("secret \"ci\""),
    };

    [Fact]
    public void EveryCaseIsCovered()
    {
        static string[] Cases(Type union) => FSharpType.GetUnionCases(union, null).Select(c => c.Name).Order().ToArray();
        static string[] Covered<T>(IEnumerable<T> values) =>
            values.Select(v => FSharpValue.GetUnionFields(v, typeof(T), null).Item1.Name).Distinct().Order().ToArray();

        Assert.Equal(Cases(typeof(F.TaskclusterError)), Covered(RequestErrors));
        Assert.Equal(Cases(typeof(F.TransferError)), Covered(TransferErrors));
        Assert.Equal(Cases(typeof(F.ConfigError)), Covered(ConfigErrors));
    }

    [Fact]
    public void RequestErrorsKeepTheirValues()
    {
        var errors = RequestErrors.Select(TaskclusterError.From).ToArray();

        Assert.Equal(
            new[]
            {
                TaskclusterErrorKind.InvalidRequest, TaskclusterErrorKind.AuthenticationFailed, TaskclusterErrorKind.InsufficientScopes,
                TaskclusterErrorKind.ClientError, TaskclusterErrorKind.ServerError, TaskclusterErrorKind.Redirect,
                TaskclusterErrorKind.ConnectionFailed, TaskclusterErrorKind.Timeout, TaskclusterErrorKind.Cancelled,
                TaskclusterErrorKind.InvalidResponse, TaskclusterErrorKind.ClockSkew,
            },
            errors.Select(e => e.Kind));
        Assert.Equal(RequestErrors.Select(e => e.Describe()), errors.Select(e => e.Description));

        var scopes = errors[2];
        Assert.Equal(new[] { "queue:create-task:x", "queue:scheduler-id:y" }, scopes.MissingScopes);
        Assert.Contains("missing the following scopes: queue:create-task:x, queue:scheduler-id:y", scopes.Description);
        Assert.Contains("queue:scheduler-id:y", new TaskclusterException(scopes).Message);
        Assert.Empty(errors[7].MissingScopes);
        Assert.Equal("req-7", scopes.RequestId);
        Assert.Null(errors[7].RequestId);

        var skew = errors[10];
        Assert.Equal((Ours, Theirs, TimeSpan.FromHours(24)), (skew.ClientTime!.Value, skew.ServerTime!.Value, skew.MaxClockOffset!.Value));
        Assert.Contains("2100-01-01T00:00:00Z", skew.Description);
        Assert.Contains("2030-01-01T00:00:00Z", skew.Description);
    }

    [Fact]
    public void NoRenderingOfAFacadeErrorShowsASignature()
    {
        foreach (var error in RequestErrors.Select(TaskclusterError.From))
        {
            foreach (var text in new[] { error.Description, error.ToString(), new TaskclusterException(error).Message, new TaskclusterException(error).ToString() })
            {
                Assert.DoesNotContain("S3CR3T", text);
            }
        }

        // The redirect's target stays available as data, for the caller to fetch.
        Assert.Equal(PreSigned, TaskclusterError.From(RequestErrors[5]).Location);
    }

    [Fact]
    public void TransferErrorsKeepTheirValues()
    {
        var errors = TransferErrors.Select(TaskclusterError.From).ToArray();

        Assert.Equal(
            new[]
            {
                TaskclusterErrorKind.Timeout, TaskclusterErrorKind.HashMismatch, TaskclusterErrorKind.LengthMismatch,
                TaskclusterErrorKind.NoAcceptableHash, TaskclusterErrorKind.UnsupportedMethod, TaskclusterErrorKind.ArtifactError,
                TaskclusterErrorKind.InvalidRequest, TaskclusterErrorKind.FileError,
            },
            errors.Select(e => e.Kind));
        Assert.Equal(TransferErrors.Select(e => e.Describe()), errors.Select(e => e.Description));

        Assert.Equal("object.createUpload (putUrl)", errors[0].ApiMethod);
        Assert.Equal(3, errors[0].Attempts);
        Assert.Equal(("tests/a", "sha512", "aa11", "bb22"), (errors[1].Name, errors[1].Algorithm, errors[1].ExpectedHash, errors[1].ActualHash));
        Assert.Equal((100L, 99L), (errors[2].ExpectedLength!.Value, errors[2].ActualLength!.Value));
        Assert.Equal(new[] { "md5" }, errors[3].Algorithms);
        Assert.Equal("carrierPigeon", errors[4].TransferMethod);
        Assert.Contains("carrierPigeon", errors[4].Description);
        Assert.Equal(("taskid", "public/x", "too-large-file-on-worker", "5 GB"), (errors[5].TaskId, errors[5].Name, errors[5].Reason, errors[5].Message));
        Assert.Equal(("runId", "must not be negative"), (errors[6].Field, errors[6].Message));
        Assert.Equal("dir/missing.bin", errors[7].FilePath);
    }

    [Fact]
    public void ConfigErrorsKeepTheirValues()
    {
        var errors = ConfigErrors.Select(TaskclusterError.From).ToArray();

        Assert.Equal(
            new[]
            {
                TaskclusterErrorKind.MissingRootUrl, TaskclusterErrorKind.InvalidOptions, TaskclusterErrorKind.UnknownService,
                TaskclusterErrorKind.Cancelled, TaskclusterErrorKind.MissingSecretName, TaskclusterErrorKind.SecretNotAnObject,
                TaskclusterErrorKind.MissingSecrets, TaskclusterErrorKind.UnreadableSecretKey,
            },
            errors.Select(e => e.Kind));
        Assert.Equal(ConfigErrors.Select(e => e.Describe()), errors.Select(e => e.Description));

        Assert.Equal("rootUrl", errors[0].Field);
        Assert.Equal("maxRetries", errors[1].Field, ignoreCase: true);
        Assert.Equal("nope", errors[2].Name);
        Assert.Contains("Array", errors[5].Description);
        Assert.Equal(new[] { "token", "password" }, errors[6].MissingKeys);
        Assert.Contains("password", errors[6].Description);
        Assert.Equal("secret \"ci\"", errors[7].Name);
    }
}
