#!/usr/bin/env python
"""Posture's command line: ``python manage.py help`` lists the commands."""

import gc
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    finally:
        # The process is ending: Python's shutdown would run full collections over everything it holds (~0.7 s
        # after a scan); frozen, those walk nothing, and the memory goes back with the process all the same.
        gc.freeze()


if __name__ == "__main__":
    main()
