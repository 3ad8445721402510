"""Posture: the Django project. The Celery app is ``posture.celery.app`` (loaded by the scans app).

Nothing is imported here, so that the Django-free parts (``posture.rules``'
engine, registry and frameworks) can be used without Django or Celery.
"""
