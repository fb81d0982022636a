"""lz's runtime entry: what Lambda calls inside the execution environment.

`dispatch` is the bundle's entry point (the Dispatcher behind `lz_handler.handler`: one route table
for HTTP events, tasks, schedules, workflow steps, S3/SQS/SNS records and operator commands), and
`commands` runs the operator commands. This package sits above lz.adapter and lz.tasks and imports
both; neither imports it. Standard library only; nothing is imported here.
"""
