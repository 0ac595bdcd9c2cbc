from __future__ import annotations

import itertools

import pytest

from tidal.errors import AWSError
from tidal.services.s3.notifications import (
    MESSAGE_OVERLAP,
    NotificationRouting,
    expand_events,
    matching_configurations,
    normalise_notification_configuration,
    parse_arn,
)

FN = "arn:aws:lambda:us-east-1:000000000000:function:thumbs"
FN2 = "arn:aws:lambda:us-east-1:000000000000:function:audit"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:audit"
TOPIC = "arn:aws:sns:us-east-1:000000000000:ops"


def lambda_config(events, prefix=None, suffix=None, arn=FN, **extra):
    config = {"LambdaFunctionArn": arn, "Events": list(events), **extra}
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


def normalise(configuration, **options):
    counter = itertools.count(1)
    options.setdefault("new_id", lambda: f"generated-{next(counter)}")
    return normalise_notification_configuration(configuration, bucket="photos", account_id="000000000000", **options)


def raises(configuration, **options) -> AWSError:
    with pytest.raises(AWSError) as err:
        normalise(configuration, **options)
    return err.value


# -- normalising -------------------------------------------------------------------------------


def test_assigns_missing_ids_and_keeps_given_ones():
    out = normalise({"LambdaFunctionConfigurations": [
        lambda_config(["s3:ObjectCreated:*"], prefix="a/"),
        lambda_config(["s3:ObjectCreated:*"], prefix="b/", Id="mine"),
    ]})
    assert [c["Id"] for c in out["LambdaFunctionConfigurations"]] == ["generated-1", "mine"]


def test_filter_rule_names_are_case_insensitive_and_read_back_capitalised():
    out = normalise({"LambdaFunctionConfigurations": [{
        "LambdaFunctionArn": FN,
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".txt"}, {"Name": "PREFIX", "Value": "notif-"}]}},
    }]})
    rules = out["LambdaFunctionConfigurations"][0]["Filter"]["Key"]["FilterRules"]
    assert rules == [{"Name": "Suffix", "Value": ".txt"}, {"Name": "Prefix", "Value": "notif-"}]


def test_empty_filter_value_is_accepted():
    out = normalise({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"], prefix="")]})
    assert out["LambdaFunctionConfigurations"][0]["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": ""}]


def test_at_most_one_prefix_and_one_suffix_rule():
    config = {"LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [
        {"Name": "prefix", "Value": "a"}, {"Name": "Prefix", "Value": "b"}]}}}
    err = raises({"LambdaFunctionConfigurations": [config]})
    assert (err.code, err.message) == ("InvalidArgument", "Cannot specify more than one prefix rule in a filter.")
    config["Filter"]["Key"]["FilterRules"] = [{"Name": "suffix", "Value": "a"}, {"Name": "SUFFIX", "Value": "b"}]
    err = raises({"LambdaFunctionConfigurations": [config]})
    assert err.message == "Cannot specify more than one suffix rule in a filter."


def test_unknown_filter_rule_name():
    config = {"LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"],
              "Filter": {"Key": {"FilterRules": [{"Name": "INVALID", "Value": "x"}]}}}
    err = raises({"LambdaFunctionConfigurations": [config]})
    assert err.code == "InvalidArgument"
    assert err.message == "filter rule name must be either prefix or suffix"
    assert err.fields == {"ArgumentName": "FilterRule.Name", "ArgumentValue": "INVALID"}


def test_filter_value_longer_than_1024_bytes():
    err = raises({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"], prefix="é" * 513)]})
    assert err.message == "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation"


@pytest.mark.parametrize("event", ["notarealeventname", "s3:ObjectCreated", "s3:ObjectCreated:Delete", "ObjectCreated:Put", "s3:objectcreated:put"])
def test_invalid_event_names(event):
    err = raises({"LambdaFunctionConfigurations": [lambda_config([event])]})
    assert (err.code, err.message, err.status) == ("InvalidArgument", "The event is not supported for notifications", 400)


@pytest.mark.parametrize(
    ("member", "arn_member", "element"),
    [("LambdaFunctionConfigurations", "LambdaFunctionArn", "CloudFunction"),
     ("QueueConfigurations", "QueueArn", "Queue"),
     ("TopicConfigurations", "TopicArn", "Topic")],
)
@pytest.mark.parametrize("skip", [False, True])
def test_unparsable_arn_even_when_skipping_validation(member, arn_member, element, skip):
    config = {"Id": "id123", arn_member: "invalid-queue", "Events": ["s3:ObjectCreated:*"]}
    err = raises({member: [config]}, skip_destination_validation=skip, function_permits=lambda *a: True)
    assert (err.code, err.message) == ("InvalidArgument", "The ARN could not be parsed")
    assert err.fields == {"ArgumentName": element, "ArgumentValue": "invalid-queue"}


def test_arn_of_the_wrong_service_cannot_be_parsed_as_a_function():
    err = raises({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"], arn=QUEUE)]})
    assert err.fields["ArgumentName"] == "CloudFunction"


def test_parse_arn():
    arn = parse_arn(FN)
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == (
        "aws", "lambda", "us-east-1", "000000000000", "function:thumbs")
    assert parse_arn("arn:aws:lambda:us-east-1:000000000000:function:f:live").resource == "function:f:live"
    for bad in ["", "invalid", "arn:aws:lambda", "arn:nope:lambda:r:a:function:f", None, 42]:
        assert parse_arn(bad) is None


def test_destination_validation_reports_every_function_without_permission():
    seen = []

    def permits(function_arn, bucket_arn, account):
        seen.append((function_arn, bucket_arn, account))
        return function_arn == FN

    bad1 = "arn:aws:lambda:us-east-1:111111111111:function:my-lambda"
    bad2 = "arn:aws:lambda:us-east-1:111111111111:function:other"
    err = raises({"LambdaFunctionConfigurations": [
        lambda_config(["s3:ObjectCreated:*"], prefix="a/"),
        lambda_config(["s3:ObjectCreated:*"], prefix="b/", arn=bad1),
        lambda_config(["s3:ObjectRemoved:*"], arn=bad2),
    ]}, function_permits=permits)
    assert (err.code, err.message) == ("InvalidArgument", "Unable to validate the following destination configurations")
    assert err.fields == {
        "ArgumentName1": f"{bad1}, null",
        "ArgumentValue1": f"Not authorized to invoke function [{bad1}]",
        "ArgumentName2": f"{bad2}, null",
        "ArgumentValue2": f"Not authorized to invoke function [{bad2}]",
    }
    assert seen[0] == (FN, "arn:aws:s3:::photos", "000000000000")


def test_skip_destination_validation_does_not_ask():
    def permits(*_):
        raise AssertionError("must not be called")

    out = normalise({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"])]},
                    function_permits=permits, skip_destination_validation=True)
    assert out["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == FN


def test_queue_topic_and_eventbridge_configurations_are_kept():
    out = normalise({
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}],
        "TopicConfigurations": [{"TopicArn": TOPIC, "Events": ["s3:ObjectCreated:*"], "Id": "t"}],
        "EventBridgeConfiguration": {},
    })
    assert out == {
        "TopicConfigurations": [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:*"]}],
        "QueueConfigurations": [{"Id": "generated-1", "QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}],
        "EventBridgeConfiguration": {},
    }


def test_empty_configuration_turns_notifications_off():
    assert normalise({}) == {}
    assert normalise(None) == {}
    assert normalise({"LambdaFunctionConfigurations": []}) == {}


def test_missing_events_is_malformed():
    err = raises({"LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": []}]})
    assert err.code == "MalformedXML"


# -- the overlap rule (spec 1.6) -----------------------------------------------------------------


def pair(first, second):
    return {"LambdaFunctionConfigurations": [first, second]}


def test_suffixes_jpg_and_pg_overlap():
    err = raises(pair(lambda_config(["s3:ObjectCreated:*"], suffix="jpg"),
                      lambda_config(["s3:ObjectCreated:*"], suffix="pg", arn=FN2)))
    assert (err.code, err.message, err.status) == ("InvalidArgument", MESSAGE_OVERLAP, 400)


def test_suffixes_dot_jpg_and_dot_png_do_not_overlap():
    normalise(pair(lambda_config(["s3:ObjectCreated:*"], suffix=".jpg"),
                   lambda_config(["s3:ObjectCreated:*"], suffix=".png", arn=FN2)))


def test_same_prefix_with_disjoint_suffixes_is_valid():
    normalise(pair(lambda_config(["s3:ObjectCreated:*"], prefix="images/", suffix=".jpg"),
                   lambda_config(["s3:ObjectCreated:*"], prefix="images/", suffix=".png", arn=FN2)))


def test_different_event_families_may_share_filters():
    normalise(pair(lambda_config(["s3:ObjectCreated:Put"], prefix="uploads/", suffix=".jpg"),
                   lambda_config(["s3:ObjectRemoved:*"], prefix="uploads/", suffix=".jpg", arn=FN2)))


def test_wildcard_and_member_of_its_family_share_an_event():
    err = raises(pair(lambda_config(["s3:ObjectCreated:*"]), lambda_config(["s3:ObjectCreated:Put"], arn=FN2)))
    assert err.message == MESSAGE_OVERLAP


def test_disjoint_members_of_one_family_do_not_share_an_event():
    normalise(pair(lambda_config(["s3:ObjectCreated:Put"]), lambda_config(["s3:ObjectCreated:Copy"], arn=FN2)))


def test_nested_prefixes_overlap_and_missing_filter_overlaps_everything():
    raises(pair(lambda_config(["s3:ObjectCreated:*"], prefix="images/"),
                lambda_config(["s3:ObjectCreated:*"], prefix="images/2024/", arn=FN2)))
    raises(pair(lambda_config(["s3:ObjectCreated:*"]),
                lambda_config(["s3:ObjectCreated:*"], prefix="images/", suffix=".jpg", arn=FN2)))


def test_disjoint_prefixes_do_not_overlap():
    normalise(pair(lambda_config(["s3:ObjectCreated:*"], prefix="images/"),
                   lambda_config(["s3:ObjectCreated:*"], prefix="videos/", arn=FN2)))


def test_overlap_applies_across_destination_kinds():
    err = raises({
        "LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"])],
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Put"]}],
    })
    assert err.message == MESSAGE_OVERLAP


# -- matching ----------------------------------------------------------------------------------


def test_expand_events():
    created = expand_events(["s3:ObjectCreated:*"])
    assert created == {"s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
                       "s3:ObjectCreated:CompleteMultipartUpload"}
    assert expand_events(["s3:ObjectRemoved:Delete"]) == {"s3:ObjectRemoved:Delete"}


def test_matcher_by_event_and_key():
    configuration = normalise({"LambdaFunctionConfigurations": [
        lambda_config(["s3:ObjectCreated:*"], prefix="uploads/", suffix=".jpg", Id="thumbs"),
        lambda_config(["s3:ObjectRemoved:Delete"], Id="audit", arn=FN2),
    ]})
    routing = NotificationRouting.from_configuration(configuration)
    assert [t.id for t in routing.matching("s3:ObjectCreated:Put", "uploads/a.jpg")] == ["thumbs"]
    assert [t.arn for t in routing.matching("s3:ObjectCreated:Copy", "uploads/a.jpg")] == [FN]
    assert routing.matching("s3:ObjectCreated:Put", "uploads/a.png") == []
    assert routing.matching("s3:ObjectCreated:Put", "other/a.jpg") == []
    assert [t.id for t in routing.matching("s3:ObjectRemoved:Delete", "anything")] == ["audit"]
    assert routing.matching("s3:ObjectRemoved:DeleteMarkerCreated", "anything") == []


def test_matcher_compares_the_raw_key_literally():
    configuration = normalise({"LambdaFunctionConfigurations": [
        lambda_config(["s3:ObjectCreated:*"], prefix="my photos/", suffix="*.jpg")]})
    assert matching_configurations(configuration, "s3:ObjectCreated:Put", "my photos/x*.jpg")
    assert not matching_configurations(configuration, "s3:ObjectCreated:Put", "my+photos/x*.jpg")
    assert not matching_configurations(configuration, "s3:ObjectCreated:Put", "my photos/x.jpg")


def test_matcher_with_no_configuration():
    assert not NotificationRouting.from_configuration({})
    assert matching_configurations({}, "s3:ObjectCreated:Put", "k") == []


def test_matcher_returns_queue_targets_too():
    configuration = normalise({"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]})
    [target] = matching_configurations(configuration, "s3:ObjectCreated:Put", "k")
    assert (target.kind, target.arn) == ("queue", QUEUE)
