from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.warmline.shifts.helpers import NOW


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
