"""Thin Celery tasks: unpack ids, call the pipeline."""

from __future__ import annotations

from celery import shared_task

from posture.findings.mutes import apply_mutes
from posture.scans import pipeline, retention, schedule


@shared_task(name="posture.scans.tasks.run_scan")
def run_scan_task(scan_id: int) -> str:
    return pipeline.run_scan(scan_id).state


@shared_task(name="posture.scans.tasks.dispatch_scheduled_scans")
def dispatch_scheduled_scans() -> int:
    return len(schedule.dispatch_due_scans())


@shared_task(name="posture.scans.tasks.expire_mutes")
def expire_mutes_task() -> dict:
    return apply_mutes()


@shared_task(name="posture.scans.tasks.purge_history")
def purge_history_task() -> dict:
    return retention.purge()


@shared_task(name="posture.scans.tasks.reap_stale_scans")
def reap_stale_scans_task() -> int:
    return len(pipeline.reap_stale_scans())
