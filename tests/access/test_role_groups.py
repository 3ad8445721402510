"""The role groups survive a flush (a transactional test's teardown, or an operator's `manage.py flush`)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from posture.access.roles import ROLE_NAMES


@pytest.mark.django_db(transaction=True)
def test_the_role_groups_are_back_after_a_flush() -> None:
    Group.objects.all().delete()
    call_command("flush", "--noinput", verbosity=0)
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(ROLE_NAMES)
