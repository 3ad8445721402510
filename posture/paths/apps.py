from django.apps import AppConfig


class PathsConfig(AppConfig):
    name = "posture.paths"
    label = "paths"
    verbose_name = "Exposure paths"

    def ready(self) -> None:
        from posture.paths import tasks
        from posture.scans.signals import scan_finished

        scan_finished.connect(tasks.on_scan_finished, dispatch_uid="posture.paths.scan_finished")
