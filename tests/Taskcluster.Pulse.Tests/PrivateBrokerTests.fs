module Taskcluster.Pulse.Tests.PrivateBrokerTests

open System
open System.Text
open Expecto
open RabbitMQ.Client
open RabbitMQ.Client.Exceptions
open Taskcluster.Pulse.TestBroker
open Taskcluster.Pulse.Tests.Support

let tests =
    testList
        "PrivateBroker"
        [
            testCaseTask "the administrator can publish and read back a message" (fun () ->
                task {
                    let! conn = adminConnection ()
                    use _ = conn
                    let! ch = conn.CreateChannelAsync()
                    use _ = ch
                    let! q = ch.QueueDeclareAsync("", false, true, true)
                    let body = Encoding.UTF8.GetBytes "hello"
                    do! ch.BasicPublishAsync("", q.QueueName, ReadOnlyMemory body)
                    let mutable got = null

                    do!
                        waitUntil "the message" (TimeSpan.FromSeconds 30.0) (fun () ->
                            task {
                                let! r = ch.BasicGetAsync(q.QueueName, true)
                                got <- r
                                return not (isNull r)
                            })

                    Expect.equal (Encoding.UTF8.GetString(got.Body.Span)) "hello" "the body comes back"
                })

            testCaseTask "a Pulse-like user may use its own namespace and nothing else" (fun () ->
                task {
                    let b = broker ()
                    let user = unique "user"
                    let! url = b.AddPulseUserAsync(user, "pw-" + user)
                    let! conn = ConnectionFactory(Uri = url).CreateConnectionAsync()
                    use _ = conn
                    let! ch = conn.CreateChannelAsync()
                    use _ = ch
                    let! own = ch.QueueDeclareAsync($"queue/{user}/mine", false, false, true)
                    Expect.equal own.QueueName $"queue/{user}/mine" "its own queue is declared"
                    let! ch2 = conn.CreateChannelAsync()
                    use _ = ch2

                    let! refused =
                        task {
                            try
                                let! _ = ch2.QueueDeclareAsync("queue/someone-else/theirs", false, false, true)
                                return None
                            with :? OperationInterruptedException as e ->
                                return Some e.ShutdownReason.ReplyCode
                        }

                    Expect.equal refused (Some 403us) "another namespace is ACCESS_REFUSED"
                })

            testCaseTask "a connection closed by the broker is seen by the client" (fun () ->
                task {
                    let b = broker ()
                    let! conn = adminConnection ()
                    use _ = conn
                    let closed = Threading.Tasks.TaskCompletionSource<Events.ShutdownEventArgs>()

                    conn.add_ConnectionShutdownAsync (fun _ args ->
                        closed.TrySetResult args |> ignore
                        Threading.Tasks.Task.CompletedTask)

                    do! b.CloseAllConnectionsAsync()
                    let! args = closed.Task.WaitAsync(TimeSpan.FromSeconds 30.0)
                    Expect.equal args.Initiator ShutdownInitiator.Peer "the broker closed it"
                })

            testCaseTask "rabbitmqctl errors carry the command and its output" (fun () ->
                task {
                    let b = broker ()

                    let! e =
                        task {
                            try
                                let! _ = b.CtlAsync([ "no_such_command" ])
                                return None
                            with :? BrokerException as e ->
                                return Some e.Message
                        }

                    Expect.isSome e "a failing command is an error"
                    Expect.stringContains e.Value "no_such_command" "it names the command"
                })
        ]
