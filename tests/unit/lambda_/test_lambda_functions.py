"""CreateFunction, GetFunction(Configuration), ListFunctions, Update*, DeleteFunction."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.request import url2pathname

import pytest
from lambda_harness import ACCOUNT, ROLE, LambdaHarness, create_params, make_zip

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"


# -- create ----------------------------------------------------------------------------------


def test_create_returns_the_function_configuration(lam):
    zip_bytes = make_zip()
    config = lam(
        "create_function",
        create_params(
            Code={"ZipFile": zip_bytes},
            Description="counts objects",
            Timeout=30,
            MemorySize=256,
            Environment={"Variables": {"GREETING": "hi"}},
            Tags={"team": "data"},
        ),
    )
    assert config["FunctionName"] == "fn"
    assert config["FunctionArn"] == ARN
    assert config["Runtime"] == "python3.12"
    assert config["Role"] == ROLE
    assert config["Handler"] == "app.handler"
    assert config["CodeSize"] == len(zip_bytes)
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
    assert (config["Description"], config["Timeout"], config["MemorySize"]) == ("counts objects", 30, 256)
    assert config["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", config["LastModified"])
    assert config["Version"] == "$LATEST"
    assert (config["State"], config["LastUpdateStatus"], config["PackageType"]) == (
        "Active",
        "Successful",
        "Zip",
    )
    assert config["Architectures"] == ["x86_64"]
    assert re.fullmatch(r"[0-9a-f-]{36}", config["RevisionId"])
    assert config["TracingConfig"] == {"Mode": "PassThrough"}
    assert config["EphemeralStorage"] == {"Size": 512}
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"}
    assert config["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}


def test_create_applies_aws_defaults(lam):
    config = lam("create_function", create_params())
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (3, 128, "")
    assert "Environment" not in config


def test_create_unpacks_the_code_where_workers_run_it(lam):
    lam("create_function", create_params())
    spec = lam.service.function_spec("fn")
    assert spec is not None
    assert spec.code_dir == lam.root / "functions" / "fn" / spec.code_dir.name
    assert (spec.code_dir / "app.py").exists()
    assert spec.handler == "app.handler"
    assert (spec.timeout, spec.memory_mb, spec.arn) == (3.0, 128, ARN)


def test_create_accepts_a_full_or_partial_arn_as_the_name(lam):
    assert lam("create_function", create_params(ARN))["FunctionName"] == "fn"
    assert lam("create_function", create_params(f"{ACCOUNT}:function:fn2"))["FunctionName"] == "fn2"


def test_an_existing_name_is_a_conflict(lam):
    lam("create_function", create_params())
    err = lam.error("create_function", create_params())
    assert (err.code, err.status, err.message) == (
        "ResourceConflictException",
        409,
        "Function already exist: fn",
    )


@pytest.mark.parametrize("runtime", ["python3.7", "python2.7", "nodejs12.x"])
def test_runtimes_aws_no_longer_accepts_are_refused_as_aws_does(lam, runtime):
    err = lam.error("create_function", create_params(Runtime=runtime))
    assert err.code == "InvalidParameterValueException"
    assert err.message == (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda"
        " functions. We recommend you use a supported runtime while creating or updating functions."
    )


@pytest.mark.parametrize("runtime", ["nodejs22.x", "java21", "provided.al2023", "cobol"])
def test_runtimes_tidal_cannot_run_are_refused_naming_the_ones_it_can(lam, runtime):
    err = lam.error("create_function", create_params(Runtime=runtime))
    assert (err.code, err.status) == ("InvalidParameterValueException", 400)
    assert err.message.startswith(f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must")
    assert "python3.12" in err.message and err.message.endswith("or be a valid ARN")


@pytest.mark.parametrize("runtime", ["python3.8", "python3.13", "python3.14"])
def test_every_supported_python_runtime_is_accepted(lam, runtime):
    assert lam("create_function", create_params(Runtime=runtime))["Runtime"] == runtime


def test_runtime_and_handler_are_mandatory_for_zip_packages(lam):
    params = create_params()
    del params["Handler"]
    err = lam.error("create_function", params)
    assert (
        err.message
        == "Runtime and Handler are mandatory parameters for functions created with deployment packages."
    )


def test_role_must_be_a_role_arn(lam):
    err = lam.error("create_function", create_params(Role="my-role"))
    assert (err.code, err.status) == ("ValidationException", 400)
    assert err.message == (
        "1 validation error detected: Value 'my-role' at 'role' failed to satisfy constraint: Member must"
        r" satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
    )


def test_all_constraint_failures_are_reported_together(lam):
    err = lam.error("create_function", create_params(Timeout=901, MemorySize=10_241))
    assert err.message == (
        "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must"
        " have value less than or equal to 900; Value '10241' at 'memorySize' failed to satisfy constraint:"
        " Member must have value less than or equal to 10240"
    )


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        (
            {"Timeout": 0},
            "at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        ({"MemorySize": 64}, "at 'memorySize' failed to satisfy constraint: Member must have value greater"),
        ({"Description": "x" * 257}, "at 'description' failed to satisfy constraint"),
        ({"Handler": "app handler"}, "at 'handler' failed to satisfy constraint"),
        ({"Architectures": ["sparc"]}, "at 'architectures' failed to satisfy constraint"),
        ({"EphemeralStorage": {"Size": 100}}, "at 'ephemeralStorage.size' failed to satisfy constraint"),
    ],
)
def test_setting_constraints(lam, settings, fragment):
    err = lam.error("create_function", create_params(**settings))
    assert err.code == "ValidationException"
    assert fragment in err.message


def test_reserved_environment_variables_are_refused(lam):
    err = lam.error(
        "create_function", create_params(Environment={"Variables": {"AWS_REGION": "x", "OK_1": "y"}})
    )
    assert err.code == "InvalidParameterValueException"
    assert err.message.endswith("Reserved keys used in this request: AWS_REGION")


def test_environment_is_limited_to_4kb(lam):
    err = lam.error("create_function", create_params(Environment={"Variables": {"BIG": "x" * 5000}}))
    assert err.message.startswith(
        "Lambda was unable to configure your environment variables because the environment variables you"
        ' have provided exceeded the 4KB limit. String measured: {"BIG":'
    )


def test_environment_keys_must_be_identifiers(lam):
    err = lam.error("create_function", create_params(Environment={"Variables": {"1BAD": "x"}}))
    assert err.code == "ValidationException"
    assert "environment.variables" in err.message


def test_code_must_be_a_zip(lam):
    err = lam.error("create_function", create_params(Code={"ZipFile": b"hello"}))
    assert err.message == "Could not unzip uploaded file. Please check your file, then try to upload again."
    assert lam("list_functions")["Functions"] == []
    err = lam.error("create_function", create_params(Code={}))
    assert err.message == "Please provide a source for function code."


def test_image_packages_are_refused(lam):
    err = lam.error("create_function", create_params(PackageType="Image", Code={"ImageUri": "repo:tag"}))
    assert err.code == "InvalidParameterValueException"


# -- read ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fn", ARN, f"{ACCOUNT}:function:fn", "fn:$LATEST"])
def test_get_function_accepts_every_name_form(lam, name):
    lam("create_function", create_params(Tags={"team": "data"}))
    result = lam("get_function", {"FunctionName": name})
    assert result["Configuration"]["FunctionName"] == "fn"
    assert result["Code"]["RepositoryType"] == "S3"
    assert result["Tags"] == {"team": "data"}
    location = result["Code"]["Location"]
    assert location.startswith("file://")
    assert (
        open(url2pathname(location.removeprefix("file://")), "rb").read()
        == lam.service.code.zip_path("fn", lam.service.function_spec("fn").code_dir.name).read_bytes()
    )


def test_a_qualified_request_gets_the_qualified_arn(lam):
    lam("create_function", create_params())
    config = lam("get_function_configuration", {"FunctionName": "fn", "Qualifier": "$LATEST"})
    assert config["FunctionArn"] == f"{ARN}:$LATEST"
    assert lam("get_function_configuration", {"FunctionName": "fn"})["FunctionArn"] == ARN


def test_missing_functions_are_not_found(lam):
    err = lam.error("get_function", {"FunctionName": "nope"})
    assert (err.code, err.status) == ("ResourceNotFoundException", 404)
    assert err.message == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    lam("create_function", create_params())
    err = lam.error("get_function_configuration", {"FunctionName": "fn", "Qualifier": "1"})
    assert err.message == f"Function not found: {ARN}:1"  # tidal publishes no versions
    err = lam.error("get_function", {"FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:fn"})
    assert err.code == "ResourceNotFoundException"  # another account


def test_functions_are_per_region(lam):
    lam("create_function", create_params())
    assert lam("list_functions", region="eu-west-1")["Functions"] == []
    assert (
        lam.error("get_function", {"FunctionName": "fn"}, region="eu-west-1").code
        == "ResourceNotFoundException"
    )


def test_list_functions_pages_with_markers(lam):
    for name in ["c", "a", "e", "b", "d"]:
        lam("create_function", create_params(name))
    page = lam("list_functions", {"MaxItems": 2})
    assert [f["FunctionName"] for f in page["Functions"]] == ["a", "b"]
    names = [f["FunctionName"] for f in page["Functions"]]
    while "NextMarker" in page:
        page = lam("list_functions", {"MaxItems": 2, "Marker": page["NextMarker"]})
        names += [f["FunctionName"] for f in page["Functions"]]
    assert names == ["a", "b", "c", "d", "e"]
    item = lam("list_functions")["Functions"][0]
    assert "State" not in item and "LastUpdateStatus" not in item  # as AWS's list items
    assert lam("list_functions", {"FunctionVersion": "ALL"})["Functions"][0]["FunctionArn"].endswith(
        ":$LATEST"
    )
    assert lam.error("list_functions", {"FunctionVersion": "LATEST"}).code == "ValidationException"


# -- update ----------------------------------------------------------------------------------


def test_update_code_installs_a_new_package_and_revision(lam):
    created = lam("create_function", create_params())
    old_spec = lam.service.function_spec("fn")
    new_zip = make_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    updated = lam("update_function_code", {"FunctionName": "fn", "ZipFile": new_zip})
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    assert updated["CodeSize"] == len(new_zip)
    assert updated["RevisionId"] != created["RevisionId"]
    new_spec = lam.service.function_spec("fn")
    assert new_spec.code_dir != old_spec.code_dir
    assert new_spec.revision_key != old_spec.revision_key  # old workers cannot serve it
    assert "v2" in (new_spec.code_dir / "app.py").read_text()
    assert not old_spec.code_dir.exists()  # no function uses the old package any more


def test_update_code_dry_run_changes_nothing(lam):
    created = lam("create_function", create_params())
    new_zip = make_zip({"app.py": "x = 2\n"})
    lam("update_function_code", {"FunctionName": "fn", "ZipFile": new_zip, "DryRun": True})
    assert lam("get_function_configuration", {"FunctionName": "fn"})["CodeSha256"] == created["CodeSha256"]


def test_update_code_refuses_a_bad_zip_or_no_code(lam):
    lam("create_function", create_params())
    assert lam.error("update_function_code", {"FunctionName": "fn", "ZipFile": b"zip?"}).code == (
        "InvalidParameterValueException"
    )
    err = lam.error("update_function_code", {"FunctionName": "fn"})
    assert err.message == "Please provide a source for function code."
    assert lam.error("update_function_code", {"FunctionName": "nope", "ZipFile": make_zip()}).status == 404


def test_update_configuration_changes_only_what_it_names(lam):
    created = lam("create_function", create_params(Environment={"Variables": {"A1": "1"}}, Timeout=10))
    updated = lam(
        "update_function_configuration",
        {"FunctionName": ARN, "MemorySize": 512, "Environment": {"Variables": {"GREETING": "hello"}}},
    )
    assert (updated["MemorySize"], updated["Timeout"]) == (512, 10)
    assert updated["Environment"] == {"Variables": {"GREETING": "hello"}}
    assert updated["RevisionId"] != created["RevisionId"]
    assert updated["CodeSha256"] == created["CodeSha256"]
    spec = lam.service.function_spec("fn")
    assert (spec.memory_mb, dict(spec.environment)) == (512, {"GREETING": "hello"})


def test_update_configuration_validates_like_create(lam):
    lam("create_function", create_params())
    assert lam.error(
        "update_function_configuration", {"FunctionName": "fn", "Runtime": "nodejs22.x"}
    ).code == ("InvalidParameterValueException")
    assert lam.error("update_function_configuration", {"FunctionName": "fn", "Timeout": 1000}).code == (
        "ValidationException"
    )


def test_revision_id_guards_updates(lam):
    created = lam("create_function", create_params())
    err = lam.error(
        "update_function_configuration", {"FunctionName": "fn", "Timeout": 5, "RevisionId": "stale"}
    )
    assert (err.code, err.status) == ("PreconditionFailedException", 412)
    updated = lam(
        "update_function_configuration",
        {"FunctionName": "fn", "Timeout": 5, "RevisionId": created["RevisionId"]},
    )
    assert updated["Timeout"] == 5


# -- delete ----------------------------------------------------------------------------------


def test_delete_removes_the_function_its_code_and_policy(lam):
    lam("create_function", create_params())
    lam("add_permission", {"FunctionName": "fn", "StatementId": "s3", "Action": "lambda:InvokeFunction",
                           "Principal": "s3.amazonaws.com"})  # fmt: skip
    code_dir = lam.service.function_spec("fn").code_dir
    assert lam("delete_function", {"FunctionName": "fn"}) == {"StatusCode": 204}
    assert lam.service.function_spec("fn") is None
    assert not code_dir.exists()
    assert lam.error("get_function", {"FunctionName": "fn"}).code == "ResourceNotFoundException"
    lam("create_function", create_params())  # the name is free again, with no old policy
    assert lam.error("get_policy", {"FunctionName": "fn"}).code == "ResourceNotFoundException"


def test_delete_errors(lam):
    err = lam.error("delete_function", {"FunctionName": "nope"})
    assert (err.code, err.message) == (
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope",
    )
    lam("create_function", create_params())
    err = lam.error("delete_function", {"FunctionName": "fn", "Qualifier": "$LATEST"})
    assert err.message == "$LATEST version cannot be deleted without deleting the function."


def test_recreating_a_function_with_the_same_code_keeps_its_package(lam):
    lam("create_function", create_params())
    lam("delete_function", {"FunctionName": "fn"})
    lam("create_function", create_params())
    assert (lam.service.function_spec("fn").code_dir / "app.py").exists()


# -- durability ------------------------------------------------------------------------------


def test_functions_survive_a_restart(tmp_path):
    first = LambdaHarness(tmp_path / "data")
    created = first("create_function", create_params(Environment={"Variables": {"GREETING": "hi"}}))
    first("add_permission", {"FunctionName": "fn", "StatementId": "s3", "Action": "lambda:InvokeFunction",
                             "Principal": "s3.amazonaws.com"})  # fmt: skip
    first.close()
    second = LambdaHarness(tmp_path / "data")
    try:
        config = second("get_function_configuration", {"FunctionName": "fn"})
        assert {k: v for k, v in config.items() if k != "RevisionId"} == {
            k: v for k, v in created.items() if k != "RevisionId"
        }
        assert second("get_policy", {"FunctionName": "fn"})["Policy"]
        assert (second.service.function_spec("fn").code_dir / "app.py").exists()
    finally:
        second.close()
