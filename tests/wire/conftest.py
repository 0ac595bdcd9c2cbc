"""Wire tests: boto3 against a real tidal server process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from tidal.testing import TidalProcess


@pytest.fixture(scope="session")
def tidal_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("tidal")
    # Retry delays scaled down so failure paths finish within a test.
    with TidalProcess(root / "data", env={"TIDAL_TIME_SCALE": "0.01"}) as server:
        yield server


@pytest.fixture(scope="session")
def endpoint(tidal_server) -> str:
    return tidal_server.endpoint


@pytest.fixture(scope="session")
def s3(tidal_server):
    return tidal_server.client("s3")


@pytest.fixture(scope="session")
def dynamodb(tidal_server):
    return tidal_server.client("dynamodb")


@pytest.fixture(scope="session")
def lambda_(tidal_server):
    return tidal_server.client("lambda")


@pytest.fixture(scope="session")
def dynamodb_resource(endpoint):
    return boto3.resource(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )


@pytest.fixture(scope="session")
def aws_cli(endpoint) -> Callable[..., subprocess.CompletedProcess]:
    """Run the AWS CLI (the one beside this interpreter) against tidal, with test credentials."""
    aws = Path(sys.executable).with_name("aws")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        if not aws.exists():
            pytest.skip("the AWS CLI is not installed in this environment")
        return subprocess.run([str(aws), "--endpoint-url", endpoint, *args], env=env, capture_output=True,
                              timeout=60, check=check)

    return run
