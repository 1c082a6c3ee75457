from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_public_pages_answer(client, harbor):
    assert client.get("/").status_code == 200
    response = client.get("/o/harbor/")
    assert response.status_code == 200
    assert b"Harbor Mentors" in response.content


def test_staff_home_for_each_role(harbor, login_as):
    for role, user in harbor.users.items():
        response = login_as(user).get("/app/harbor/")
        assert response.status_code == 200, role
