"""botocore's service models, and the per-service wire quirks the models do not carry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from botocore.loaders import Loader, create_loader
from botocore.model import OperationModel, ServiceModel

from tidal.errors import AWSError
from tidal.protocol.errors import s3_enum_error


@cache
def loader() -> Loader:
    """botocore's data loader, shared."""
    # The loader alone, not a botocore Session: a session drags in the HTTP client stack
    # (~0.1 s of imports) that a server never uses, and start-up is budgeted at 0.5 s.
    return create_loader()


@cache
def load_service_model(service_name: str) -> ServiceModel:
    """The botocore model of ``service_name`` (``"s3"``, ``"dynamodb"``, ``"lambda"`` ...)."""
    return ServiceModel(loader().load_service_model(service_name, "service-2"), service_name=service_name)


class Operation:
    """One operation of a service, with the plans its protocol precomputed for it.

    ``plan`` holds whatever the protocol needs to parse and serialize the operation without
    looking at the model again (member locations, compiled readers and writers).
    """

    __slots__ = ("name", "model", "plan")

    def __init__(self, name: str, model: OperationModel, plan: Any = None) -> None:
        self.name = name
        self.model = model
        self.plan = plan

    def __repr__(self) -> str:
        return f"Operation({self.model.service_model.service_name}:{self.name})"


@dataclass(frozen=True, slots=True)
class WireTraits:
    """What a service does on the wire beyond its model.

    The models say where members go; they do not say which namespace a JSON error's
    ``__type`` carries, whether the service checks constraints itself (the Coral-based
    services answer ``ValidationException`` before the operation runs; S3 does not), or
    which shapes tidal keeps in their wire form.
    """

    # Prefix of modelled errors' `__type` in JSON error bodies (None: the bare code).
    json_error_namespace: str | None = None
    # Coral's own errors (SerializationException, UnknownOperationException ...) carry
    # `com.amazon.coral.service#` / `com.amazon.coral.validate#` prefixes.
    coral_error_namespaces: bool = False
    # DynamoDB signs every response body with a CRC32 header that botocore verifies.
    crc32_header: bool = False
    # Check required members, lengths, ranges, enums and patterns before the service runs.
    validate_input: bool = False
    # Shapes passed through in wire form (type-checked, blobs left base64).
    opaque_shapes: frozenset[str] = field(default_factory=frozenset)
    # Verify Content-MD5 / x-amz-checksum-* / aws-chunked trailers against the body.
    verify_checksums: bool = False
    # Error for a header/query value that does not fit its modelled type.
    bad_parameter_code: str = "SerializationException"
    # Error for a JSON body that does not parse (rest-json); json 1.0/1.1 always use
    # SerializationException.
    bad_json_code: str = "SerializationException"
    bad_json_prefix: str = ""
    # rest-xml: root element of responses whose output has body members (the models name
    # only payload members); operation name -> element name.
    xml_root_names: dict[str, str] = field(default_factory=dict)
    # rest protocols: how a header or query value outside its modelled enum is refused
    # ((wire name, value) -> error, or None to take it); None: enums are not checked there.
    enum_error: Callable[[str, str], AWSError | None] | None = None
    # rest-xml: check XML bodies against the schema (required members, enum values: else
    # MalformedXML), but for the enum shapes the service checks itself with errors of its own.
    xml_schema: bool = False
    service_checked_enums: frozenset[str] = field(default_factory=frozenset)


_DYNAMODB = WireTraits(
    json_error_namespace="com.amazonaws.dynamodb.v20120810",
    coral_error_namespaces=True,
    crc32_header=True,
    validate_input=True,
    # tidal stores items as DynamoDB's JSON: AttributeValues stay as they came ("B" base64).
    opaque_shapes=frozenset({"AttributeValue"}),
)

SERVICE_TRAITS: dict[str, WireTraits] = {
    "dynamodb": _DYNAMODB,
    "dynamodbstreams": WireTraits(
        json_error_namespace="com.amazonaws.dynamodb.v20120810",
        coral_error_namespaces=True,
        validate_input=True,
        opaque_shapes=frozenset({"AttributeValue"}),
    ),
    "kinesis": WireTraits(validate_input=True),
    "firehose": WireTraits(validate_input=True),
    "sqs": WireTraits(json_error_namespace="com.amazonaws.sqs", validate_input=True),
    "lambda": WireTraits(
        validate_input=True,
        bad_parameter_code="InvalidParameterValueException",
        # Lambda answers unparsable JSON with this code and a Jackson parser message.
        bad_json_code="InvalidRequestContentException",
        bad_json_prefix="Could not parse request body into json: ",
    ),
    "s3": WireTraits(
        verify_checksums=True,
        bad_parameter_code="InvalidArgument",
        enum_error=s3_enum_error,
        xml_schema=True,
        service_checked_enums=frozenset({"BucketLocationConstraint", "Event", "FilterRuleName"}),
        xml_root_names={
            "CompleteMultipartUpload": "CompleteMultipartUploadResult",
            "CreateMultipartUpload": "InitiateMultipartUploadResult",
            "CreateSession": "CreateSessionResult",
            "DeleteObjects": "DeleteResult",
            "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
            "GetBucketAcl": "AccessControlPolicy",
            "GetBucketCors": "CORSConfiguration",
            "GetBucketLifecycle": "LifecycleConfiguration",
            "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
            "GetBucketLocation": "LocationConstraint",
            "GetBucketLogging": "BucketLoggingStatus",
            "GetBucketNotification": "NotificationConfiguration",
            "GetBucketNotificationConfiguration": "NotificationConfiguration",
            "GetBucketRequestPayment": "RequestPaymentConfiguration",
            "GetBucketTagging": "Tagging",
            "GetBucketVersioning": "VersioningConfiguration",
            "GetBucketWebsite": "WebsiteConfiguration",
            "GetObjectAcl": "AccessControlPolicy",
            "GetObjectAttributes": "GetObjectAttributesResponse",
            "GetObjectTagging": "Tagging",
            "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
            "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
            "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
            "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
            "ListBuckets": "ListAllMyBucketsResult",
            "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
            "ListMultipartUploads": "ListMultipartUploadsResult",
            "ListObjectVersions": "ListVersionsResult",
            "ListObjects": "ListBucketResult",
            "ListObjectsV2": "ListBucketResult",
            "ListParts": "ListPartsResult",
        },
    ),
}


def traits_for(service_name: str) -> WireTraits:
    return SERVICE_TRAITS.get(service_name, WireTraits())


def lower_first(name: str) -> str:
    """Coral's member naming in messages: ``TableName`` -> ``tableName``."""
    return name[:1].lower() + name[1:]
