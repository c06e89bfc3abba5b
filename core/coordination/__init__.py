"""Coordinators: who may run which program, the audit log, program settings, the matching
interventions they make, and reports that show status and aggregates only (tables
`coordinators`, `audit_events`, `program_snapshots`, `coordinator_matches`)."""
