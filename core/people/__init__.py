"""People and their mentoring profiles: who someone is in Slack, what a mentee wants to
develop and a mentor can offer (tables `people`, `participations`, `goals`, `expertise`),
the competency taxonomy, and the CSV import."""
