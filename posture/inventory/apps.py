from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "posture.inventory"
    label = "inventory"

    def ready(self) -> None:
        import collectors

        collectors.load_providers()
