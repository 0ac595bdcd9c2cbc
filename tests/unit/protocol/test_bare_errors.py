"""Errors rendered without a model parse, in botocore's own parsers, into their code and message."""

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from tidal.errors import AWSError
from tidal.protocol.bare_errors import bare_error_response


@pytest.mark.parametrize("protocol", ["json", "rest-json", "rest-xml", "query", "ec2", "smithy-rpc-v2-cbor"])
def test_botocore_reads_the_code_and_message(protocol):
    err = AWSError("NotImplemented", "tidal does not serve x <y> & z yet", 501)
    response = bare_error_response(protocol, err, "req-1")
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": HeadersDict(response.headers), "body": response.body}, None
    )
    assert parsed["Error"]["Code"] == "NotImplemented"
    assert parsed["Error"]["Message"] == "tidal does not serve x <y> & z yet"
    assert response.status == 501

