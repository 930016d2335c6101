import sys
from pathlib import Path

import pytest

from event_contracts import add_contract_directory, remove_contract_directory

# The toy service used to exercise servicekit lives beside these tests.
sys.path.insert(0, str(Path(__file__).parent))
TOY_CONTRACTS = Path(__file__).parent / "mms_toy" / "contracts"


@pytest.fixture(autouse=True, scope="module")
def toy_contracts():
    """The toy's event contracts, for this module only: other packages' tests that share the
    process (pytest-xdist) must see the suite's contracts alone."""
    add_contract_directory(TOY_CONTRACTS)
    yield
    remove_contract_directory(TOY_CONTRACTS)
