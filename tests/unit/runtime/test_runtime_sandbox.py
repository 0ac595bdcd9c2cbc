"""What a handler sees: the context object, Lambda's environment variables, its output in the log."""

from __future__ import annotations

import json
import os
import re
import time

CONTEXT = """
    import time
    def handler(event, context):
        if event.get("sleep"):
            time.sleep(event["sleep"])
        cc = context.client_context
        return {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
            "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
            "client_context": None if cc is None else [cc.custom, cc.env, cc.client.app_title],
        }
"""


def test_context_fields_and_remaining_time(make_fn, run_pool):
    fn = make_fn(CONTEXT, name="ctx-fn", timeout=2.0, memory_mb=256)

    async def body(pool):
        started = time.monotonic()
        plain = await pool.invoke(fn, b'{"sleep": 0.3}', "11111111-2222-3333-4444-555555555555")
        plain_ms = (time.monotonic() - started) * 1000
        started = time.monotonic()
        qualified = await pool.invoke(
            fn,
            b"{}",
            "r2",
            invoked_arn=fn.arn + ":live",
            client_context=json.dumps(
                {"custom": {"k": "v"}, "env": {"e": 1}, "client": {"app_title": "app"}}
            ),
            cognito_identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
        )
        qualified_ms = (time.monotonic() - started) * 1000
        return plain, plain_ms, qualified, qualified_ms

    plain, plain_ms, qualified, qualified_ms = run_pool(body)
    ctx = json.loads(plain.payload)
    assert ctx["function_name"] == "ctx-fn"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:ctx-fn"
    assert ctx["memory_limit_in_mb"] == "256"  # a string, as on AWS
    assert ctx["aws_request_id"] == "11111111-2222-3333-4444-555555555555"
    assert ctx["log_group_name"] == "/aws/lambda/ctx-fn"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert ctx["log_stream_name"] == plain.log_stream_name
    # The deadline is set within the invoke() call and the handler slept 0.3 s before asking:
    # at most the whole call (+2 ms of rounding) came off the 2 s, and at least the sleep did.
    assert 2000 - plain_ms - 2 <= ctx["remaining"] <= 1720
    assert ctx["identity"] == [None, None]
    assert ctx["client_context"] is None
    other = json.loads(qualified.payload)
    assert other["invoked_function_arn"].endswith(":function:ctx-fn:live")
    assert other["identity"] == ["id-1", "pool-1"]
    assert other["client_context"] == [{"k": "v"}, {"e": 1}, "app"]
    assert 2000 - qualified_ms - 2 <= other["remaining"] <= 2000


ENVIRONMENT = """
    import os, sys
    import boto3
    def handler(event, context):
        return {"env": dict(os.environ), "cwd": os.getcwd(), "path0": sys.path[0], "boto3": boto3.__version__}
"""


def test_environment_is_lambdas_not_the_servers(make_fn, run_pool, monkeypatch):
    monkeypatch.setenv("TIDAL_UNRELATED_SECRET", "do-not-leak")
    monkeypatch.setenv("HOME_GROWN_SETTING", "nope")
    fn = make_fn(
        ENVIRONMENT,
        name="env-fn",
        runtime="python3.11",
        memory_mb=512,
        environment={"TABLE_NAME": "counts", "AWS_REGION": "xx-fake-1"},
    )
    result = run_pool(lambda pool: pool.invoke(fn, b"{}", "r"))
    seen = json.loads(result.payload)
    env = seen["env"]
    expected = {
        "AWS_LAMBDA_FUNCTION_NAME": "env-fn",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/env-fn",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",  # reserved: the function's own value does not win
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "LAMBDA_TASK_ROOT": str(fn.code_dir),
        "_HANDLER": "app.handler",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "TABLE_NAME": "counts",
    }
    assert {k: env.get(k) for k in expected} == expected
    for name in ("AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_RUNTIME_DIR", "PATH", "PYTHONPATH"):
        assert env.get(name)
    assert "TIDAL_UNRELATED_SECRET" not in env and "HOME_GROWN_SETTING" not in env
    assert os.path.samefile(seen["cwd"], fn.code_dir)
    assert seen["path0"] == str(fn.code_dir)
    assert seen["boto3"]


def test_output_of_every_kind_lands_in_the_log(make_fn, run_pool):
    fn = make_fn(
        """
        import logging, os, sys
        logging.getLogger().setLevel(logging.INFO)
        def handler(event, context):
            print("to stdout")
            print("to stderr", file=sys.stderr)
            logging.info("via logging")
            context.log("via context.log\\n")
            os.system("echo from a subprocess")
            print("{" * 100_000)  # a lot of output that must not confuse the protocol
            return {"fine": True}
        """
    )
    result = run_pool(lambda pool: pool.invoke(fn, b"{}", "req-out"))
    assert result.payload == b'{"fine": true}'
    log = result.log
    for line in ("to stdout\n", "to stderr\n", "via context.log\n", "from a subprocess\n"):
        assert line in log
    assert re.search(r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-out\tvia logging\n", log)
    assert log.index("to stdout") < log.index("to stderr") < log.index("from a subprocess")
    assert (
        log.index("START RequestId: req-out") < log.index("to stdout") < log.index("END RequestId: req-out")
    )
