"""The exposure paths' Celery tasks (thin: see :mod:`posture.paths.builds`)."""

from __future__ import annotations

from celery import shared_task

from posture.paths import builds


@shared_task(name="posture.paths.tasks.rebuild_paths")
def rebuild_paths_task() -> int | None:
    """Rebuild the paths if a finished scan asked since the last build; the paths found, or None."""
    done = builds.run_build()
    return done.paths if done is not None else None


@shared_task(name="posture.paths.tasks.requeue_lost_rebuild")
def requeue_lost_rebuild_task() -> bool:
    """Periodic: queue the rebuild again if the broker lost its task."""
    return builds.requeue_lost(send)


def send() -> None:
    """Queue the rebuild; from inside a task (a worker finishing a scan), to the queue that task came from."""
    from celery import current_task

    info = current_task.request.delivery_info if current_task else None  # a proxy: falsy outside a task
    queue = (info or {}).get("routing_key")
    rebuild_paths_task.apply_async(**({"queue": queue} if queue else {}))
