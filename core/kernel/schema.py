"""Imports every module that defines tables, so `Base.metadata` is complete (migrations,
tests). A new feature with its own models module adds it here."""

from __future__ import annotations

import importlib

from core.kernel.models import Base

MODEL_MODULES = (
    "core.kernel.models",
    "core.programs.models",
    "core.people.models",
    "core.onboarding.models",
    "core.matchmaking.models",
    "core.relationships.models",
    "core.messaging.models",
    "core.messaging.outbox_models",
    "core.coordination.models",
    "core.faq.models",
)

for _name in MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a feature not built yet
        if exc.name != _name:
            raise

metadata = Base.metadata
