"""The tests' password hasher: Django's PBKDF2 with one iteration.

Django's own stretches a password over a million rounds, about a third of a second here, and the tests make a
user with a password in over a thousand fixtures. The algorithm's name and the hash's form are Django's, and
the hash carries its iteration count, so a process on production settings (a served page, a command run as a
subprocess) still verifies it.
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneRoundPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1
