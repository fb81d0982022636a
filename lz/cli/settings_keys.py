"""Every key of lz_settings.json as plain data: its JSON Schema, its default, what it is for.

lz.cli.settings validates against this table and publishes it as JSON Schema (`lz schema`);
settings.example.json shows every key by example (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Any

from .settings_keys_front import FRONT_KEYS

RUNTIMES = ("python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("x86_64", "arm64")
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
WORKFLOW_LOGGING = ("OFF", "ERROR", "ALL")

# key -> (JSON Schema of the value, default, description). Order is the order of `lz schema`.
KEYS: dict[str, tuple[dict[str, Any], Any, str]] = {
    "extends": ({"type": "string"}, None, "Stage whose settings this stage starts from."),
    "app": (
        {"type": "string", "pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"},
        None,
        "The WSGI or ASGI app, as module:attribute (e.g. myproject.app:app).",
    ),
    "runtime": ({"enum": list(RUNTIMES)}, "python3.13", "Lambda Python runtime."),
    "architecture": ({"enum": list(ARCHITECTURES)}, "x86_64", "Lambda architecture."),
    "requirements": (
        {"type": "string"},
        None,
        "requirements.txt, pyproject.toml or uv.lock to install; found in the project when absent.",
    ),
    "include": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Globs (relative to the project) to ship even if excluded or secret-looking.",
    ),
    "exclude": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Globs (relative to the project) to leave out, on top of the built-in junk list.",
    ),
    "environment": (
        {"type": "object", "additionalProperties": {"type": "string"}},
        {},
        "Environment variables of the function.",
    ),
    "region": (
        {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d$"},
        None,
        "AWS region to deploy to (default: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's).",
    ),
    "memory": (
        {"type": "integer", "minimum": 128, "maximum": 10240},
        512,
        "Function memory in MB (CPU grows with it).",
    ),
    "http": (
        {"enum": ["http_api", "rest_api", "function_url", False]},
        "http_api",
        "HTTP front: an HTTP API (payload 2.0, $default stage), a REST API ({proxy+}, a stage named "
        "after this one), a Lambda Function URL, or false for a function with no HTTP front.",
    ),
    "cors": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allow_origins": {"type": "array", "items": {"type": "string"}},
                "allow_methods": {"type": "array", "items": {"type": "string"}},
                "allow_headers": {"type": "array", "items": {"type": "string"}},
                "expose_headers": {"type": "array", "items": {"type": "string"}},
                "allow_credentials": {"type": "boolean"},
                "max_age": {"type": "integer", "minimum": 0, "maximum": 86400},
            },
        },
        {},
        "HTTP API only: CORS answered by API Gateway ({} = none; with a REST API, OPTIONS reaches "
        "your app, e.g. Flask-CORS).",
    ),
    "on_failure": (
        {"type": ["string", "null"], "pattern": r"^arn:aws[a-z-]*:(sqs|sns|lambda|events):"},
        None,
        "Destination (SQS, SNS, Lambda, EventBridge ARN) for async invocations that failed.",
    ),
    "binary_media_types": (
        {"type": "array", "items": {"type": "string"}},
        ["*/*"],
        "REST API only: request/response types API Gateway passes as binary (*/* lets lz decide).",
    ),
    "url_auth": (
        {"enum": ["NONE", "AWS_IAM"]},
        "NONE",
        "Auth type of the Function URL (http: function_url).",
    ),
    "stream": (
        {"type": "boolean"},
        False,
        "Stream HTTP responses as the app produces them (generators, StreamingResponse, server-sent "
        "events; bodies up to 200 MB): a Function URL in invoke mode RESPONSE_STREAM, or a REST API "
        "integration in response transfer mode STREAM. HTTP APIs and ALBs cannot stream. Runs lz's "
        "own runtime loop (an exec wrapper) on the managed python runtime.",
    ),
    "static": (
        {"type": ["boolean", "object"], "additionalProperties": False, "properties": {
            "bucket": {"type": ["string", "null"], "pattern": r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"},
            "dir": {"type": "string"},
            "url": {"type": "string", "pattern": r"^/([\w.~-]+/)*$"},
        }},
        True,
        "Static files. true: a Django app's collectstatic runs at build time and the function serves "
        "its STATIC_URL (other apps: nothing); false: off; {\"bucket\": \"name\" or null}: the files go "
        "to an S3 bucket lz manages instead (null: lz names it), the app reads LZ_STATIC_URL; "
        "{\"dir\": \"public\", \"url\": \"/static/\"}: a folder of the project, for apps that are not Django.",
    ),
    **FRONT_KEYS,  # domain, auth, throttle
    "log_retention_days": (
        {"enum": [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                  2557, 2922, 3288, 3653]},
        30,
        "Days CloudWatch keeps the function's logs.",
    ),
    "ephemeral_storage": (
        {"type": "integer", "minimum": 512, "maximum": 10240},
        512,
        "Size of /tmp in MB.",
    ),
    "layers": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Lambda layer version ARNs.",
    ),
    "vpc": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "subnets": {"type": "array", "items": {"type": "string"}},
                "security_groups": {"type": "array", "items": {"type": "string"}},
            },
        },
        {},
        "Run in a VPC: {\"subnets\": [...], \"security_groups\": [...]} (attaches AWS's "
        "AWSLambdaVPCAccessExecutionRole to the role).",
    ),
    "reserved_concurrency": (
        {"type": ["integer", "null"], "minimum": 0},
        None,
        "Reserved concurrent executions (null: unreserved).",
    ),
    "tracing": (
        {"type": "boolean"},
        False,
        "X-Ray active tracing (attaches AWS's AWSXRayDaemonWriteAccess to the role).",
    ),
    "snap_start": (
        {"type": "boolean"},
        False,
        "Lambda SnapStart on published versions (faster cold starts).",
    ),
    "dead_letter": (
        {"type": ["string", "null"], "pattern": r"^arn:aws[a-z-]*:(sqs|sns):"},
        None,
        "SQS queue or SNS topic ARN for events whose async invocation failed.",
    ),
    "permissions": (
        {"type": "array", "items": {"type": "object"}},
        [],
        "Extra IAM statements for the function's role (what your code calls: S3, DynamoDB, ...).",
    ),
    "policy_arns": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Managed IAM policy ARNs to attach to the function's role.",
    ),
    "events": (
        {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["function", "expression"],
                "properties": {
                    "function": {"type": "string"},
                    "expression": {"type": "string"},
                    "input": {},
                    "enabled": {"type": "boolean"},
                },
            },
        },
        [],
        "Scheduled calls besides @schedule: {\"function\": \"module.func\", \"expression\": "
        "\"rate(1 hour)\", \"input\": {...}, \"enabled\": true}.",
    ),
    "tasks": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "queue": {"type": "boolean"},
                "retries": {"type": "integer", "minimum": 0, "maximum": 2},
                "max_age": {"type": "integer", "minimum": 60, "maximum": 21600},
            },
        },
        {},
        "Background work: {\"queue\": true} sends every @task through an SQS queue lz creates (with "
        "a dead-letter queue); \"retries\" is Lambda's MaximumRetryAttempts for async events (tasks, "
        "S3, SNS; default 0: a failure is not silently run again) and the queue's receive count; "
        "\"max_age\" is their MaximumEventAgeInSeconds.",
    ),
    "task_bucket": (
        {"type": ["string", "null"], "pattern": r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"},
        None,
        "S3 bucket (yours) where task arguments over Lambda's 1 MB async limit are put (under "
        "lz-tasks/) and read back; null: such a call is an error at the call site.",
    ),
    "allow_raw_invoke": (
        {"type": "boolean"},
        False,
        "Let `lz invoke STAGE --raw CODE` run arbitrary Python in the function (off by default).",
    ),
    "workflows": (
        {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": list(WORKFLOW_TYPES)},
                    "logging": {"enum": list(WORKFLOW_LOGGING)},
                    "tracing": {"type": "boolean"},
                },
            },
        },
        {},
        "Per @workflow (by its function name), all optional: \"type\" STANDARD (default; up to a "
        "year, execution history kept by Step Functions) or EXPRESS (up to 5 minutes, no history "
        "but its logs); \"logging\" OFF (default), ERROR or ALL to a log group of its own; "
        "\"tracing\" true for X-Ray.",
    ),
    "engine": (
        {"enum": ["lz", "cloudformation"]},
        "lz",
        "Who deploys the stage: lz's own engine (AWS is the state; fast, no stack), or a "
        "CloudFormation stack PROJECT-STAGE made from `lz template` (change sets, drift detection, "
        "stack policies). `lz deploy --engine` overrides it; a stage stays with the engine that "
        "deployed it until `lz undeploy`.",
    ),
    "timeout": (
        {"type": "integer", "minimum": 1, "maximum": 900},
        30,
        "Function timeout in seconds (also the local runtime's deadline).",
    ),
    "keep_boto3": (
        {"type": "boolean"},
        False,
        "Ship boto3/botocore instead of using the ones the Lambda runtime provides.",
    ),
    "dependency_sources": (
        {"type": "boolean"},
        False,
        "Ship the dependencies' .py sources beside their bytecode (for libraries that read their "
        "own source, and for tracebacks with source lines inside dependencies).",
    ),
    "keep_tests": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Dependencies whose own tests/ and test/ folders ship (distribution or import names, \"*\" "
        "for all); the others are left out, except folders a package imports itself at import time.",
    ),
    "build_from_source": (
        {"type": "array", "items": {"type": "string"}},
        [],
        "Packages allowed to build from an sdist when no Linux wheel exists (at your risk: the build "
        "runs on this machine, not on Amazon Linux).",
    ),
    "secrets": (
        {"type": "object", "additionalProperties": {"type": "string", "pattern": r"^(ssm|secretsmanager):\S"}},
        {},
        "Environment variables read at cold start from SSM Parameter Store (\"ssm:/NAME\", SecureString "
        "too) or Secrets Manager (\"secretsmanager:NAME\", \"secretsmanager:NAME#KEY\" for one key of a "
        "JSON secret), inside the function, before the app is imported; the function's configuration "
        "holds only these references (LZ_SECRETS), never the values.",
    ),
    "alarms": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "error_rate": {"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                "p99_ms": {"type": "integer", "minimum": 1},
                "throttles": {"type": "integer", "minimum": 1},
                "dlq": {"type": "integer", "minimum": 1},
                "notify": {"type": "string", "pattern": r"^(arn:aws[a-z-]*:sns:\S+|[^@\s]+@[^@\s]+\.[^@\s]+)$"},
            },
        },
        {},
        "CloudWatch alarms on the alias live: \"error_rate\" (\"1%\": errors / invocations over 5 "
        "minutes), \"p99_ms\" (p99 duration), \"throttles\" and \"dlq\" (messages in the task queue's "
        "dead-letter queue) thresholds; \"notify\" an email address (an SNS topic lz owns) or an SNS "
        "topic ARN. Removed when the key goes.",
    ),
    "deploy": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "canary": {"type": "string", "pattern": r"^\d+(\.\d+)?%$"},
                "for": {"type": "string", "pattern": r"^\d+[smh]$"},
            },
        },
        {},
        "Canary deploys: {\"canary\": \"10%\", \"for\": \"10m\"} shifts that share of the alias live "
        "to the new version, watches its errors (and the stage's alarms) for that long, then promotes "
        "it or rolls back (lz deploy --canary/--for override it).",
    ),
    "log_format": (
        {"enum": ["text", "json"]},
        "text",
        "The function's log format (Lambda's LoggingConfig LogFormat): json makes every line a JSON "
        "object (lz's request and error lines, Lambda's own), which lz tail and Logs Insights read.",
    ),
    "log_level": (
        {"enum": ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", None]},
        None,
        "With log_format json: the application log level (ApplicationLogLevel; lines below it are "
        "dropped by Lambda) and the matching system log level (DEBUG, INFO or WARN).",
    ),
    "adapter": (
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "base_path": {"type": ["string", "null"]},
                "text_mime_types": {"type": "array", "items": {"type": "string"}},
                "strip_stage": {"type": "boolean"},
                "lifespan": {"enum": ["auto", "on", "off"]},
            },
        },
        {},
        "Options of the runtime adapter (see README: base_path, text_mime_types, strip_stage, "
        "lifespan).",
    ),
}
