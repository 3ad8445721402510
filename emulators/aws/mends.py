"""Every mend of moto's answers (and one of its costs), installed at once wherever moto runs: the demo's threaded
server, the benchmarks' server process (:mod:`emulators.aws.moto_main`) and the tests' ``mock_aws`` and servers."""

from __future__ import annotations

from emulators.aws import config_items, iam_policies, s3_answers, scans


def install() -> None:
    """AWS Config's S3 items, S3's ACL answers, ECR's and Inspector's scan answers, AWS managed policies made
    once per account (idempotent)."""
    config_items.install()
    iam_policies.install()
    s3_answers.install()
    scans.install()
