from __future__ import annotations

from collections.abc import Callable

import pytest

from alongside.accounts.models import User
from tests.api.helpers import ApiClient, make_token


@pytest.fixture
def api_as(db: object) -> Callable[[User], ApiClient]:
    """``api_as(user)``: a JSON client carrying a fresh bearer token of ``user``."""
    return lambda user: ApiClient(make_token(user))
