"""The HTTP API fuzzed from its own OpenAPI document (`GET /api/openapi.json`) with schemathesis:
whatever a client sends, the answer is never a 5xx, and every 4xx is an RFC 7807 problem.

Bounded (FUZZ_EXAMPLES per operation) so it fits in `make test`; the examples are generated from
the schemas, both valid and invalid, plus the document's own constraints."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from local.stack import LocalStack
from tests.e2e.conftest import running_stack

FUZZ_EXAMPLES = int(os.environ.get("FT_FUZZ_EXAMPLES", "40"))


@schemathesis.check
def problems_for_client_errors(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool:
    if 400 <= response.status_code < 500:
        headers = {name.lower(): value for name, value in response.headers.items()}
        values = headers.get("content-type", "")
        content_type = str(values[0] if isinstance(values, list) else values)
        assert content_type.startswith("application/problem+json"), (
            f"{response.status_code} is not problem+json"
        )
        problem = json.loads(response.content)
        assert problem["status"] == response.status_code and problem["detail"]
    return True


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of its own: the fuzzer starts runs with whatever names it invents."""
    with running_stack(tmp_path_factory.mktemp("e2e-fuzz"), "fuzz-key") as started:
        yield started


def test_no_input_makes_the_api_fail(fuzzed: LocalStack) -> None:
    stack = fuzzed
    """schemathesis' pytest plugin does not run on this pytest, so the operations are driven here
    with hypothesis directly, each from its own strategy."""
    key = {"x-functions-key": stack.options.function_key}
    schema = schemathesis.openapi.from_url(f"{stack.host.url}/api/openapi.json", headers=key)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 9

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Case) -> None:
            case.headers.update(key)
            response = case.call(timeout=60)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
            case.validate_response(response, checks=[problems_for_client_errors])

        fuzz()
