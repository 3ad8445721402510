"""Thin Celery tasks: unpack ids, call the pipeline."""

from __future__ import annotations

from celery import shared_task

from posture.scans import pipeline, schedule


@shared_task(name="posture.scans.tasks.run_scan")
def run_scan_task(scan_id: int) -> str:
    return pipeline.run_scan(scan_id).state


@shared_task(name="posture.scans.tasks.dispatch_scheduled_scans")
def dispatch_scheduled_scans() -> int:
    return len(schedule.dispatch_due_scans())
