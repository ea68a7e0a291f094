"""Celery tasks for networking actions (imported by ProjectsConfig.ready)."""
