"""A local Azure Resource Manager emulator (:class:`ArmEmulator`) and estates for it (:mod:`.estate`, :mod:`.demo`)."""

from emulators.azure.server import ArmEmulator

__all__ = ["ArmEmulator"]
