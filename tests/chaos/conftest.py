"""The chaos suite reuses the notification tests' model and catalog fixtures."""

from tests.notifications.test_sweep_and_send import catalog, model

__all__ = ["catalog", "model"]
