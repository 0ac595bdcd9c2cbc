"""CreateTable's request checked as AWS checks it, turned into the definition tidal stores.

The checks run in AWS's order (recorded against the real service by dynalite and dynoxide):
table name, billing mode against throughput, key attributes against AttributeDefinitions,
key schema shape, index lists, then the exact-match rule between AttributeDefinitions and
the attributes the keys and indexes use, then the stream specification. The protocol layer
has already checked required members and member types against botocore's model.
"""

from __future__ import annotations

import re
from typing import Any

from tidal.errors import validation_error

INVALID = "One or more parameter values were invalid: "
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.-]+")
STREAM_VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
MAX_THROUGHPUT = 1_000_000_000_000


def _constraint_errors(errors: list[str]) -> None:
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise validation_error(f"{count} validation {noun} detected: " + "; ".join(errors))


def _name_errors(value: str, where: str) -> list[str]:
    errors = []
    if not NAME_PATTERN.fullmatch(value):
        errors.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    if len(value) < 3:
        errors.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3"
        )
    if len(value) > 255:
        errors.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            "Member must have length less than or equal to 255"
        )
    return errors


def validate_table_name(name: str) -> None:
    """CreateTable's table-name rules: 3-255 characters of [a-zA-Z0-9_.-]."""
    _constraint_errors(_name_errors(name, "tableName"))


def _enum_errors(params: dict) -> list[str]:
    errors: list[str] = []
    # botocore's model stopped requiring these two when tables could be created as replicas of
    # another account's global table (GlobalTableSourceArn). tidal makes no such replicas, so
    # they stay required, worded as DynamoDB worded their absence while the model required them.
    for member, wire in (("AttributeDefinitions", "attributeDefinitions"), ("KeySchema", "keySchema")):
        if params.get(member) is None:
            errors.append(f"Value null at '{wire}' failed to satisfy constraint: Member must not be null")
    billing = params.get("BillingMode")
    if billing is not None and billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
        errors.append(
            f"Value '{billing}' at 'billingMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        )
    for i, element in enumerate(params.get("KeySchema") or (), 1):
        key_type = element.get("KeyType")
        if key_type not in ("HASH", "RANGE"):
            errors.append(
                f"Value '{key_type}' at 'keySchema.{i}.member.keyType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [HASH, RANGE]"
            )
    for i, definition in enumerate(params.get("AttributeDefinitions") or (), 1):
        attr_type = definition.get("AttributeType")
        if attr_type not in ("S", "N", "B"):
            errors.append(
                f"Value '{attr_type}' at 'attributeDefinitions.{i}.member.attributeType' failed to "
                "satisfy constraint: Member must satisfy enum value set: [B, N, S]"
            )
    key_schema = params.get("KeySchema")
    if key_schema == []:
        errors.append(
            "Value '[]' at 'keySchema' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    elif key_schema is not None and len(key_schema) > 2:
        rendered = ", ".join(
            f"KeySchemaElement(attributeName={e.get('AttributeName')}, keyType={e.get('KeyType')})"
            for e in key_schema
        )
        errors.append(
            f"Value '[{rendered}]' at 'keySchema' failed to satisfy constraint: "
            "Member must have length less than or equal to 2"
        )
    throughput = params.get("ProvisionedThroughput")
    if throughput is not None:
        for member, where in (
            ("WriteCapacityUnits", "writeCapacityUnits"),
            ("ReadCapacityUnits", "readCapacityUnits"),
        ):
            value = throughput.get(member)
            if value is None:
                errors.append(
                    f"Value null at 'provisionedThroughput.{where}' failed to satisfy constraint: "
                    "Member must not be null"
                )
            elif value < 1:
                errors.append(
                    f"Value '{value}' at 'provisionedThroughput.{where}' failed to satisfy constraint: "
                    "Member must have value greater than or equal to 1"
                )
    for family, path in (
        ("LocalSecondaryIndexes", "localSecondaryIndexes"),
        ("GlobalSecondaryIndexes", "globalSecondaryIndexes"),
    ):
        for i, index in enumerate(params.get(family) or (), 1):
            errors.extend(_name_errors(index.get("IndexName", ""), f"{path}.{i}.member.indexName"))
            projection_type = (index.get("Projection") or {}).get("ProjectionType")
            if projection_type is not None and projection_type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
                errors.append(
                    f"Value '{projection_type}' at '{path}.{i}.member.projection.projectionType' failed to "
                    "satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
                )
    return errors[:10]  # AWS lists at most ten constraint violations


def _check_key_schema_shape(key_schema: list[dict]) -> None:
    if key_schema[0]["KeyType"] != "HASH":
        raise validation_error("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(key_schema) == 2:
        if key_schema[0]["AttributeName"] == key_schema[1]["AttributeName"]:
            raise validation_error(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )
        if key_schema[1]["KeyType"] != "RANGE":
            raise validation_error("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def _check_keys_defined(key_schema: list[dict], defined: list[str]) -> None:
    names = [e["AttributeName"] for e in key_schema]
    missing = [n for n in names if n not in defined]
    # A key schema naming one attribute twice with a single definition gets the generic
    # message (dynalite recorded it); with more definitions the shape check below words it.
    duplicate = len(names) == 2 and names[0] == names[1] and len(defined) == 1
    if not missing and not duplicate:
        return
    if missing and defined and len(names) == 1:
        raise validation_error(
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(defined)}]"
        )
    raise validation_error("Invalid KeySchema: Some index key attribute have no definition")


def _check_projection(projection: dict) -> None:
    projection_type = projection.get("ProjectionType")
    if projection_type is None:
        raise validation_error(INVALID + "Unknown ProjectionType: null")
    non_key = projection.get("NonKeyAttributes")
    if non_key is not None and projection_type != "INCLUDE":
        raise validation_error(
            INVALID + f"ProjectionType is {projection_type}, but NonKeyAttributes is specified"
        )


def _check_index_keys_defined(indexes: list[dict], defined: list[str]) -> None:
    keys: list[str] = []
    for index in indexes:
        for element in index["KeySchema"]:
            if element["AttributeName"] not in keys:
                keys.append(element["AttributeName"])
    if any(k not in defined for k in keys):
        raise validation_error(
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(defined)}]"
        )


def _check_local_indexes(indexes: list[dict], key_schema: list[dict], defined: list[str]) -> None:
    if not indexes:
        raise validation_error(INVALID + "List of LocalSecondaryIndexes is empty")
    if len(key_schema) != 2:
        raise validation_error(
            INVALID + "Table KeySchema does not have a range key, which is required when specifying a "
            "LocalSecondaryIndex"
        )
    _check_index_keys_defined(indexes, defined)
    table_hash = key_schema[0]["AttributeName"]
    seen: set[str] = set()
    for index in indexes:
        name = index["IndexName"]
        _check_key_schema_shape(index["KeySchema"])
        if len(index["KeySchema"]) != 2:
            raise validation_error(INVALID + f"Index KeySchema does not have a range key for index: {name}")
        index_hash = index["KeySchema"][0]["AttributeName"]
        if index_hash != table_hash:
            raise validation_error(
                INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for "
                f"index: {name}. index hash key: {index_hash}, table hash key: {table_hash}"
            )
        _check_projection(index["Projection"])
        if name in seen:
            raise validation_error(INVALID + f"Duplicate index name: {name}")
        seen.add(name)
    if len(indexes) > 5:
        raise validation_error(INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5")


def _check_global_indexes(
    indexes: list[dict], defined: list[str], billing_mode: str, local: list[dict]
) -> None:
    if not indexes:
        raise validation_error(INVALID + "List of GlobalSecondaryIndexes is empty")
    _check_index_keys_defined(indexes, defined)
    seen = {index["IndexName"] for index in local}
    own: set[str] = set()
    for index in indexes:
        _check_key_schema_shape(index["KeySchema"])
        _check_projection(index["Projection"])
        name = index["IndexName"]
        if name in own or name in seen:
            raise validation_error(INVALID + f"Duplicate index name: {name}")
        own.add(name)
    if len(indexes) > 20:
        raise validation_error(INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20")
    for index in indexes:
        throughput = index.get("ProvisionedThroughput")
        if billing_mode == "PAY_PER_REQUEST" and throughput is not None:
            raise validation_error(
                INVALID + f"ProvisionedThroughput should not be specified for index: {index['IndexName']} "
                "when BillingMode is PAY_PER_REQUEST"
            )
        if billing_mode == "PROVISIONED" and throughput is None:
            raise validation_error(
                INVALID + f"ProvisionedThroughput is not specified for index: {index['IndexName']}"
            )


def _check_definitions_used(params: dict, defined: list[str]) -> None:
    used: set[str] = {e["AttributeName"] for e in params["KeySchema"]}
    for family in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        for index in params.get(family) or ():
            used.update(e["AttributeName"] for e in index["KeySchema"])
    if len(set(defined)) != len(defined) or len(defined) != len(used):
        raise validation_error(
            INVALID + "Number of attributes in KeySchema does not exactly match number of attributes "
            "defined in AttributeDefinitions"
        )


def _check_stream(spec: dict | None) -> dict | None:
    """The stream specification to store (None for no stream)."""
    if spec is None:
        return None
    enabled = bool(spec.get("StreamEnabled"))
    view_type = spec.get("StreamViewType")
    if view_type is not None and view_type not in STREAM_VIEW_TYPES:
        raise validation_error(
            f"1 validation error detected: Value '{view_type}' at 'streamSpecification.streamViewType' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"
        )
    if not enabled:
        if view_type is not None:
            raise validation_error(
                INVALID
                + "Table is being created with a stream disabled, UpdateViewType should not be specified"
            )
        return None
    if view_type is None:
        raise validation_error(INVALID + "You must specify a StreamViewType when enabling a stream")
    return {"StreamEnabled": True, "StreamViewType": view_type}


def check_create_table(params: dict[str, Any]) -> dict[str, Any]:
    """Validate a CreateTable request; return the table's definition to store.

    The definition holds what DescribeTable echoes back (key schema, attribute
    definitions, billing, indexes, stream, SSE, class, deletion protection, tags); the
    identity (ARN, id, creation time) is added by the caller.
    """
    validate_table_name(params["TableName"])
    _constraint_errors(_enum_errors(params))
    billing_mode = params.get("BillingMode") or "PROVISIONED"
    throughput = params.get("ProvisionedThroughput")
    if billing_mode == "PAY_PER_REQUEST" and throughput is not None:
        raise validation_error(
            INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
            "PAY_PER_REQUEST"
        )
    if throughput is not None:
        for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
            if throughput[member] > MAX_THROUGHPUT:
                raise validation_error(f"Given value {throughput[member]} for {member} is out of bounds")
    if billing_mode == "PROVISIONED" and throughput is None:
        if params.get("BillingMode") is None:
            # AWS's default billing mode is PROVISIONED, and then it wants the throughput.
            raise validation_error(INVALID + 'Missing required parameter in input: "ProvisionedThroughput"')
        raise validation_error(
            INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
            "PROVISIONED"
        )
    key_schema = params["KeySchema"]
    definitions = params["AttributeDefinitions"]
    defined = [d["AttributeName"] for d in definitions]
    _check_keys_defined(key_schema, defined)
    _check_key_schema_shape(key_schema)
    local = params.get("LocalSecondaryIndexes")
    global_ = params.get("GlobalSecondaryIndexes")
    if local is not None:
        _check_local_indexes(local, key_schema, defined)
    if global_ is not None:
        _check_global_indexes(global_, defined, billing_mode, local or [])
    _check_definitions_used(params, defined)
    stream = _check_stream(params.get("StreamSpecification"))

    definition: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]} for d in definitions
        ],
        "KeySchema": [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in key_schema],
        "BillingMode": billing_mode,
        "ProvisionedThroughput": (
            {
                "ReadCapacityUnits": throughput["ReadCapacityUnits"],
                "WriteCapacityUnits": throughput["WriteCapacityUnits"],
            }
            if throughput is not None
            else None
        ),
        "LocalSecondaryIndexes": [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in local
        ]
        if local
        else None,
        "GlobalSecondaryIndexes": [
            {
                "IndexName": i["IndexName"],
                "KeySchema": i["KeySchema"],
                "Projection": i["Projection"],
                "ProvisionedThroughput": i.get("ProvisionedThroughput"),
            }
            for i in global_
        ]
        if global_
        else None,
        # Streams' records come with the DynamoDB Streams issue; the spec is stored and
        # described now so templates that enable a stream create the same table.
        "StreamSpecification": stream,
        "SSESpecification": params.get("SSESpecification"),
        "TableClass": params.get("TableClass"),
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
        "Tags": params.get("Tags") or [],
    }
    return definition
