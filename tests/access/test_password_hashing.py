"""The tests hash passwords in one round (tests/support/hashers.py); Django's own hasher still verifies them, so
a process on production settings accepts a user the tests made."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password


def test_a_one_round_hash_is_a_django_pbkdf2_hash_that_django_verifies() -> None:
    encoded = make_password("a-long-test-password")
    algorithm, iterations, _salt, _digest = encoded.split("$")
    assert (algorithm, iterations) == ("pbkdf2_sha256", "1")
    production = PBKDF2PasswordHasher()
    assert production.verify("a-long-test-password", encoded) and not production.verify("wrong", encoded)
    assert production.must_update(encoded)  # a real sign-in re-hashes it at full strength
