"""The environment variables of a worker: what Lambda sets (spec section 7.2), nothing of tidal's own.

Choices where a local machine differs from Lambda's sandbox:
- ``PATH`` starts with the directory of tidal's interpreter, so ``python`` in a handler's
  subprocess is the same Python, as ``/var/lang/bin`` is on AWS.
- ``PYTHONPATH`` holds the directories tidal's runtime and boto3 are imported from (AWS has
  ``/var/runtime`` there). The interpreter's own site-packages stay visible too, so
  dependencies installed next to tidal import, as they would from a layer.
- ``LD_LIBRARY_PATH`` lists only the code directory's paths: prepending the system's
  ``/lib64`` as AWS does could load the wrong libssl for a non-system Python.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tidal.runtime.spec import FunctionSpec

# Set by Lambda and not overridable by a function's own variables (the Lambda API rejects
# them; should one get through, Lambda's value still wins here).
RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

RUNTIME_DIR = Path(__file__).resolve().parent


def _import_roots() -> list[str]:
    """Directories from which ``tidal`` and boto3 (with botocore) import in this interpreter."""
    roots = [str(RUNTIME_DIR.parents[1])]  # .../src, holding the tidal package
    for name in ("boto3", "botocore"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            root = str(Path(spec.origin).resolve().parents[1])
            if root not in roots:
                roots.append(root)
    return roots


_PYTHONPATH = os.pathsep.join(_import_roots())


def log_stream_name(version: str, instance_hex: str, now: float | None = None) -> str:
    """``YYYY/MM/DD/[<version>]<32 hex>``, one stream per execution environment."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[{version}]{instance_hex}"


def worker_environment(fn: FunctionSpec, base_env: Mapping[str, str], stream_name: str) -> dict[str, str]:
    task_root = str(fn.code_dir)
    python_bin = os.path.dirname(sys.executable)
    lambda_env = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream_name,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
        "_HANDLER": fn.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LD_LIBRARY_PATH": f"{task_root}:{task_root}/lib",
    }
    env = {**lambda_env, **base_env, **fn.environment}
    for name in RESERVED:
        if name in lambda_env:
            env[name] = lambda_env[name]
        elif name in base_env:
            env[name] = base_env[name]
        elif name in fn.environment:
            del env[name]
    # A function may set PYTHONPATH (it is not reserved); the runtime's directories follow it.
    user_path = fn.environment.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{user_path}{os.pathsep}{_PYTHONPATH}" if user_path else _PYTHONPATH
    return env
