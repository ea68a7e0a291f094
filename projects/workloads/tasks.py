"""Celery tasks for workloads actions (imported by ProjectsConfig.ready)."""
