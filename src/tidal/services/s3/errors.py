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


# -- multipart uploads ------------------------------------------------------------------------


def no_such_upload(upload_id: str) -> AWSError:
    message = ("The specified upload does not exist. The upload ID may be invalid, or the upload may have been"
               " aborted or completed.")
    return AWSError("NoSuchUpload", message, 404, fields={"UploadId": upload_id})


def invalid_part_number_argument(value: object) -> AWSError:
    return invalid_argument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", value)


def invalid_part_order(upload_id: str) -> AWSError:
    message = "The list of parts was not in ascending order. Parts must be ordered by part number."
    return AWSError("InvalidPartOrder", message, 400, fields={"UploadId": upload_id})


def invalid_part(upload_id: str, part_number: object, etag: str) -> AWSError:
    # Two spaces after the first sentence, as AWS sends it.
    message = ("One or more of the specified parts could not be found.  The part may not have been uploaded,"
               " or the specified entity tag may not match the part's entity tag.")
    return AWSError("InvalidPart", message, 400, fields={"UploadId": upload_id, "PartNumber": part_number, "ETag": etag})


def entity_too_small(part_number: int, etag: str, size: int, minimum: int) -> AWSError:
    fields = {"ProposedSize": size, "MinSizeAllowed": minimum, "PartNumber": part_number, "ETag": etag}
    return AWSError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400, fields=fields)


def invalid_part_number(requested: int, count: int) -> AWSError:
    fields = {"PartNumberRequested": requested, "ActualPartCount": count}
    return AWSError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416, fields=fields)


def invalid_request(message: str) -> AWSError:
    return AWSError("InvalidRequest", message, 400)


def malformed_xml() -> AWSError:
    message = "The XML you provided was not well-formed or did not validate against our published schema"
    return AWSError("MalformedXML", message, 400)
