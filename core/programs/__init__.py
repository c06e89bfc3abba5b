"""Workspaces and programs (tables `workspaces`, `programs`): which programs a workspace
runs, the settings each runs with, and the workspace lifecycle (uninstall, retention, purge)."""
