"""lz's runtime entry: what Lambda calls inside the execution environment.

`dispatch` is the bundle's entry point (the Dispatcher behind `lz_handler.handler`: one route table
for HTTP events, tasks, schedules, workflow steps, S3/SQS/SNS records and operator commands), and
`commands` runs the operator commands. lz's own Runtime API client lives here too: `wrapper`
(the exec wrapper shipped in every bundle), `bootstrap` and `loop` (next → dispatch → response on
one kept-alive connection), `client` (the HTTP calls), `context` (the context object), `logs`
(request-id log lines), `errors` (Lambda's error shape) and `stream` (streamed responses with
trailers). `secrets` reads the stage's secrets into os.environ at cold start, through `sigv4`, a
signed-request client of its own (the runtime may not import boto3). This package sits above lz.adapter and lz.tasks and imports both; neither imports it.
Standard library only; nothing is imported here.
"""
