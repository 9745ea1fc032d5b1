"""Prefect flows (thin), their schedules (`deployments.py`) and the embedded APScheduler runner.

Importing this package does not import Prefect; the flow modules do.
"""
