"""python manage.py ensure_admin: create the first admin when there is no user yet.

The password is random, printed once, and also written to
``$POSTURE_DATA_DIR/admin-password`` (mode 600) so that a later run can tell
where it is. Change it after signing in.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from posture.access.audit import record


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = "Create an admin user if no user exists, and say how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        password_file = settings.DATA_DIR / "admin-password"
        if User.objects.exists():
            hint = f" (first password in {password_file})" if password_file.exists() else ""
            self.stdout.write(f"users exist already; sign in at /login/{hint}")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(options["username"], email="", password=password)
        user.groups.add(Group.objects.get(name="admin"))
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        record("user.create", user, source="cli", detail={"role": "admin"})
        self.stdout.write(
            f"created admin user {user.get_username()!r} with password {password}  (saved in {password_file})"
        )
