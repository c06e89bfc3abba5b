"""The onboarding conversation as a persisted state machine (table `conversations`)."""
