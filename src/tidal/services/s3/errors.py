"""The S3 errors tidal raises, with AWS's codes, messages, statuses and extra members.

Messages are AWS's own wording (S3 API Reference "Error responses", and responses recorded
against AWS by LocalStack's snapshot tests where the reference is silent).
"""

from __future__ import annotations

from tidal.errors import AWSError


def no_such_bucket(bucket: str) -> AWSError:
    return AWSError("NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": bucket})


def no_such_key(key: str) -> AWSError:
    return AWSError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


def bucket_not_empty(bucket: str) -> AWSError:
    return AWSError(
        "BucketNotEmpty", "The bucket you tried to delete is not empty", 409, fields={"BucketName": bucket}
    )


def bucket_already_owned_by_you(bucket: str) -> AWSError:
    return AWSError(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
        fields={"BucketName": bucket},
    )


def bucket_already_exists(bucket: str) -> AWSError:
    return AWSError(
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users"
        " of the system. Please select a different name and try again.",
        409,
        fields={"BucketName": bucket},
    )


def invalid_argument(message: str, name: str | None = None, value: object = None) -> AWSError:
    fields: dict[str, object] = {}
    if name is not None:
        fields["ArgumentName"] = name
        if value is not None:
            fields["ArgumentValue"] = value
    return AWSError("InvalidArgument", message, 400, fields=fields)


def invalid_location_constraint(constraint: str) -> AWSError:
    return AWSError(
        "InvalidLocationConstraint",
        "The specified location-constraint is not valid",
        400,
        fields={"LocationConstraint": constraint},
    )


def illegal_location_constraint(constraint: str | None) -> AWSError:
    # AWS names the constraint it got, or says "unspecified" when the request had none.
    named = constraint if constraint else "unspecified"
    return AWSError(
        "IllegalLocationConstraintException",
        f"The {named} location constraint is incompatible for the region specific endpoint this"
        " request was sent to.",
        400,
    )


def invalid_range(range_requested: str, object_size: int) -> AWSError:
    return AWSError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"RangeRequested": range_requested, "ActualObjectSize": str(object_size)},
        headers={"Content-Range": f"bytes */{object_size}"},
    )


def key_too_long(size: int) -> AWSError:
    return AWSError(
        "KeyTooLongError", "Your key is too long", 400, fields={"Size": str(size), "MaxSizeAllowed": "1024"}
    )


def precondition_failed(condition: str) -> AWSError:
    return AWSError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        fields={"Condition": condition},
    )


def not_modified() -> AWSError:
    # A 304 carries no body; the protocol layer renders only the status.
    return AWSError("NotModified", "Not Modified", 304)
