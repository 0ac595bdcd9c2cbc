"""Bucket notification configurations: normalising and validating a PUT, and matching events.

A ``PutBucketNotificationConfiguration`` replaces the bucket's whole configuration (spec 1.6).
:func:`normalise_notification_configuration` turns the request's ``NotificationConfiguration``
into what ``GetBucketNotificationConfiguration`` returns (Ids assigned, filter rule names
read back as ``Prefix``/``Suffix``) or raises the error AWS gives. :class:`NotificationRouting`
is the parsed form the write path keeps in memory: the configurations indexed by concrete
event name, so matching an event is one dict lookup and a startswith/endswith per candidate.

Check order follows AWS (LocalStack's AWS-validated tests note that AWS checks everything it
can check from the request alone before it contacts any destination): event names, ARNs and
filter rules per configuration, then the overlap rule across configurations, then the
destinations, all failing ones reported together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tidal.errors import AWSError
from tidal.services.s3.errors import invalid_argument

# botocore's ``Event`` enum (s3 2006-03-01, botocore 1.44): every name a configuration may
# list. ``<family>:*`` stands for every event of the family.
EVENT_TYPES: tuple[str, ...] = (
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAnnotation:*",
    "s3:ObjectAnnotation:Put",
    "s3:ObjectAnnotation:Delete",
    "s3:ObjectRetention:Put",
)
_KNOWN_EVENTS = frozenset(EVENT_TYPES)
_CONCRETE_EVENTS = tuple(e for e in EVENT_TYPES if not e.endswith(":*"))

MAX_FILTER_VALUE_BYTES = 1024

# The recorded AWS errors name the destination by its XML element (spec 1.6).
MESSAGE_EVENT_NOT_SUPPORTED = "The event is not supported for notifications"
MESSAGE_ARN_UNPARSABLE = "The ARN could not be parsed"
MESSAGE_OVERLAP = "Configurations overlap. Configurations on the same bucket cannot share a common event type."
MESSAGE_UNVALIDATED_DESTINATIONS = "Unable to validate the following destination configurations"
MESSAGE_MALFORMED_XML = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)

# Partitions an ARN may name; anything else "could not be parsed".
_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})

FunctionPermits = Callable[[str, str, str], bool]
"""``function_permits(function_arn, bucket_arn, account_id)``: may S3 invoke that function for
that bucket (the function's resource policy grants ``lambda:InvokeFunction`` to s3)?"""


@dataclass(frozen=True, slots=True)
class DestinationKind:
    list_member: str  # NotificationConfiguration member holding these configurations
    arn_member: str
    kind: str  # tidal's short name
    service: str  # the ARN's service
    xml_name: str  # the element name AWS reports in ArgumentName


DESTINATION_KINDS: tuple[DestinationKind, ...] = (
    DestinationKind("TopicConfigurations", "TopicArn", "topic", "sns", "Topic"),
    DestinationKind("QueueConfigurations", "QueueArn", "queue", "sqs", "Queue"),
    DestinationKind("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda", "lambda", "CloudFunction"),
)


@dataclass(frozen=True, slots=True)
class NotificationTarget:
    """One configuration as the matcher sees it."""

    kind: str  # "lambda", "queue" or "topic"
    id: str
    arn: str
    events: frozenset[str]  # concrete event names, wildcards expanded
    prefix: str = ""
    suffix: str = ""

    def matches_key(self, key: str) -> bool:
        # Literal comparison on the raw (not URL-encoded) key: no wildcards (spec 1.6).
        return key.startswith(self.prefix) and key.endswith(self.suffix)


# -- event names ---------------------------------------------------------------------------


def expand_events(events: Iterable[str]) -> frozenset[str]:
    """Concrete event names covered by ``events``: ``s3:ObjectCreated:*`` → every ObjectCreated."""
    expanded: set[str] = set()
    for event in events:
        if event.endswith(":*"):
            family = event[:-1]  # "s3:ObjectCreated:"
            expanded.update(e for e in _CONCRETE_EVENTS if e.startswith(family))
        else:
            expanded.add(event)
    return frozenset(expanded)


# -- ARNs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(arn: object) -> Arn | None:
    """The ARN's parts, or ``None`` where AWS would answer "The ARN could not be parsed"."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[1] not in _PARTITIONS:
        return None
    _, partition, service, region, account, resource = parts
    if not service or not resource:
        return None
    return Arn(partition, service, region, account, resource)


def _arn_matches_kind(arn: Arn, kind: DestinationKind) -> bool:
    if arn.service != kind.service:
        return False
    if kind.kind == "lambda":
        return arn.resource.startswith("function:") and len(arn.resource) > len("function:")
    return True


# -- normalising a PUT ---------------------------------------------------------------------------


def _malformed() -> AWSError:
    return AWSError("MalformedXML", MESSAGE_MALFORMED_XML, 400)


def _normalise_filter(raw: Any) -> tuple[dict | None, str, str]:
    """(the Filter as Get returns it or None, prefix, suffix)."""
    if not raw:
        return None, "", ""
    if not isinstance(raw, Mapping):
        raise _malformed()
    key_filter = raw.get("Key") or {}
    if not isinstance(key_filter, Mapping):
        raise _malformed()
    rules = key_filter.get("FilterRules") or []
    if not isinstance(rules, list):
        raise _malformed()
    if not rules:
        return None, "", ""
    prefix: str | None = None
    suffix: str | None = None
    normalised_rules = []
    for rule in rules:
        if not isinstance(rule, Mapping) or "Name" not in rule or "Value" not in rule:
            raise _malformed()
        name, value = rule["Name"], rule["Value"]
        if not isinstance(name, str) or not isinstance(value, str):
            raise _malformed()
        # Names are case-insensitive on input and read back capitalised (recorded AWS output).
        lowered = name.lower()
        if lowered not in ("prefix", "suffix"):
            raise invalid_argument("filter rule name must be either prefix or suffix", "FilterRule.Name", name)
        if len(value.encode("utf-8")) > MAX_FILTER_VALUE_BYTES:
            raise invalid_argument(
                "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation",
                "FilterRule.Value",
                value,
            )
        if lowered == "prefix":
            if prefix is not None:
                raise invalid_argument("Cannot specify more than one prefix rule in a filter.", "FilterRule.Name", name)
            prefix = value
        else:
            if suffix is not None:
                raise invalid_argument("Cannot specify more than one suffix rule in a filter.", "FilterRule.Name", name)
            suffix = value
        # An empty Value is accepted (recorded AWS output) and matches every key.
        normalised_rules.append({"Name": lowered.capitalize(), "Value": value})
    return {"Key": {"FilterRules": normalised_rules}}, prefix or "", suffix or ""


def _prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _suffixes_overlap(a: str, b: str) -> bool:
    return a.endswith(b) or b.endswith(a)


def targets_overlap(a: NotificationTarget, b: NotificationTarget) -> bool:
    """AWS's overlap rule (spec 1.6): a shared event type AND overlapping prefixes AND suffixes."""
    return (
        not a.events.isdisjoint(b.events)
        and _prefixes_overlap(a.prefix, b.prefix)
        and _suffixes_overlap(a.suffix, b.suffix)
    )


def normalise_notification_configuration(
    configuration: Mapping[str, Any] | None,
    *,
    bucket: str,
    account_id: str,
    new_id: Callable[[], str],
    function_permits: FunctionPermits | None = None,
    skip_destination_validation: bool = False,
) -> dict[str, Any]:
    """The configuration as ``GetBucketNotificationConfiguration`` will return it.

    Raises the AWS error for the first problem found. ``function_permits`` checks each Lambda
    destination unless ``skip_destination_validation``; without it (no Lambda service wired
    in) Lambda destinations are accepted unchecked. Queue and topic destinations are stored
    unchecked until tidal serves SQS and SNS.
    """
    configuration = configuration or {}
    if not isinstance(configuration, Mapping):
        raise _malformed()
    normalised: dict[str, Any] = {}
    targets: list[NotificationTarget] = []
    for kind in DESTINATION_KINDS:
        raw_list = configuration.get(kind.list_member) or []
        if not isinstance(raw_list, list):
            raise _malformed()
        out_list = []
        for raw in raw_list:
            if not isinstance(raw, Mapping):
                raise _malformed()
            events = raw.get("Events")
            if not events or not isinstance(events, list):
                raise _malformed()
            for event in events:
                if event not in _KNOWN_EVENTS:
                    raise invalid_argument(MESSAGE_EVENT_NOT_SUPPORTED)
            arn_value = raw.get(kind.arn_member)
            arn = parse_arn(arn_value)
            if arn is None or not _arn_matches_kind(arn, kind):
                raise invalid_argument(MESSAGE_ARN_UNPARSABLE, kind.xml_name, arn_value)
            filter_out, prefix, suffix = _normalise_filter(raw.get("Filter"))
            config_id = raw.get("Id") or new_id()
            entry: dict[str, Any] = {"Id": config_id, kind.arn_member: arn_value, "Events": list(events)}
            if filter_out is not None:
                entry["Filter"] = filter_out
            out_list.append(entry)
            targets.append(NotificationTarget(kind.kind, config_id, arn_value, expand_events(events), prefix, suffix))
        if out_list:
            normalised[kind.list_member] = out_list
    if "EventBridgeConfiguration" in configuration and configuration["EventBridgeConfiguration"] is not None:
        # Stored and returned; delivery to EventBridge is not implemented yet.
        normalised["EventBridgeConfiguration"] = {}

    for i, first in enumerate(targets):
        for second in targets[i + 1 :]:
            if targets_overlap(first, second):
                raise invalid_argument(MESSAGE_OVERLAP)

    if not skip_destination_validation and function_permits is not None:
        _validate_lambda_destinations(targets, bucket, account_id, function_permits)
    return normalised


def _validate_lambda_destinations(
    targets: list[NotificationTarget], bucket: str, account_id: str, function_permits: FunctionPermits
) -> None:
    bucket_arn = f"arn:aws:s3:::{bucket}"
    fields: dict[str, str] = {}
    failed = 0
    checked: set[str] = set()
    for target in targets:
        if target.kind != "lambda" or target.arn in checked:
            continue
        checked.add(target.arn)
        if not function_permits(target.arn, bucket_arn, account_id):
            failed += 1
            # The recorded AWS error names "<arn>, null" and says why (spec 1.6).
            fields[f"ArgumentName{failed}"] = f"{target.arn}, null"
            fields[f"ArgumentValue{failed}"] = f"Not authorized to invoke function [{target.arn}]"
    if failed:
        raise AWSError("InvalidArgument", MESSAGE_UNVALIDATED_DESTINATIONS, 400, fields=fields)


# -- matching --------------------------------------------------------------------------------


class NotificationRouting:
    """A bucket's parsed configurations, indexed by concrete event name."""

    __slots__ = ("targets", "_by_event")

    def __init__(self, targets: Iterable[NotificationTarget] = ()) -> None:
        self.targets: tuple[NotificationTarget, ...] = tuple(targets)
        by_event: dict[str, list[NotificationTarget]] = {}
        for target in self.targets:
            for event in target.events:
                by_event.setdefault(event, []).append(target)
        self._by_event: dict[str, tuple[NotificationTarget, ...]] = {k: tuple(v) for k, v in by_event.items()}

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | None) -> NotificationRouting:
        """From a configuration already normalised by :func:`normalise_notification_configuration`."""
        if not configuration:
            return EMPTY_ROUTING
        targets = []
        for kind in DESTINATION_KINDS:
            for entry in configuration.get(kind.list_member, ()):
                prefix = suffix = ""
                for rule in entry.get("Filter", {}).get("Key", {}).get("FilterRules", ()):
                    if rule["Name"] == "Prefix":
                        prefix = rule["Value"]
                    else:
                        suffix = rule["Value"]
                targets.append(
                    NotificationTarget(
                        kind.kind, entry["Id"], entry[kind.arn_member], expand_events(entry["Events"]), prefix, suffix
                    )
                )
        return cls(targets) if targets else EMPTY_ROUTING

    def __bool__(self) -> bool:
        return bool(self.targets)

    def matching(self, event_name: str, key: str) -> list[NotificationTarget]:
        """The configurations an ``event_name`` (``s3:ObjectCreated:Put``) on ``key`` triggers."""
        candidates = self._by_event.get(event_name)
        if not candidates:
            return []
        return [t for t in candidates if key.startswith(t.prefix) and key.endswith(t.suffix)]


EMPTY_ROUTING = NotificationRouting()


def matching_configurations(
    configuration: Mapping[str, Any] | None, event_name: str, key: str
) -> list[NotificationTarget]:
    """Convenience form of :meth:`NotificationRouting.matching` for a normalised configuration."""
    return NotificationRouting.from_configuration(configuration).matching(event_name, key)
