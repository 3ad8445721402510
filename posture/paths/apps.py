from django.apps import AppConfig


class PathsConfig(AppConfig):
    name = "posture.paths"
    label = "paths"
    verbose_name = "Exposure paths"

    def ready(self) -> None:
        from posture.paths import refresh
        from posture.scans.signals import scan_finished

        scan_finished.connect(refresh.on_scan_finished, dispatch_uid="posture.paths.scan_finished")
