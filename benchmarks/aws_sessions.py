"""CPU to open AWS sessions and their clients, with boto3's own loader per session and with Posture's shared one.

    .venv/bin/python benchmarks/aws_sessions.py [--sessions 5]

Each account scanned (and each assumed role) is a new boto3 session; each session would parse every service
model it uses again. ``collectors.aws.provider.new_session`` shares one botocore data loader per process.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVICES = ("ec2", "iam", "s3", "eks", "rds", "cloudtrail", "kms", "logs", "ecr", "elbv2")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()
    import boto3

    from collectors.aws.provider import new_session

    for label, make in (("boto3.Session (a loader each)", boto3.Session), ("new_session (one loader)", new_session)):
        start = cpu()
        for _ in range(args.sessions):
            session = make(region_name="us-east-1")
            for service in SERVICES:
                session.client(service, aws_access_key_id="k", aws_secret_access_key="s")
        print(f"{label:32} {args.sessions} sessions x {len(SERVICES)} clients: {cpu() - start:.2f} CPU s")


if __name__ == "__main__":
    main()
