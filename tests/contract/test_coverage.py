"""Every operation the emulator serves is claimed by a contract test, and every deviation is documented."""

from __future__ import annotations

import importlib

from local.aoai.app import served_operations
from local.processes import REPO, Service
from tests.contract.coverage import CLAIMED, STYLES, served
from tests.contract.deviations import DEVIATIONS
from tests.support.emulator import EmulatorAdmin

HERE = REPO / "tests" / "contract"


def test_every_served_operation_is_claimed_by_a_contract_test() -> None:
    for module in sorted(HERE.glob("test_*_contract.py")):
        importlib.import_module(f"tests.contract.{module.stem}")  # @covers registers its claims on import
    unclaimed = {style: sorted(served()[style] - CLAIMED[style]) for style in STYLES}
    assert unclaimed == {style: [] for style in STYLES}


def test_the_running_emulator_serves_its_route_table(emulator: Service, admin: EmulatorAdmin) -> None:
    assert admin.operations() == [operation.to_json() for operation in served_operations()]


def test_the_readme_lists_every_deviation() -> None:
    readme = (REPO / "local" / "aoai" / "README.md").read_text()
    assert [d.id for d in DEVIATIONS if f"`{d.id}`" not in readme] == []
