"""FAQ capability: the content store, its checks, Markdown -> mrkdwn, and retrieval.

See docs/faq.md. Typical use:

    store = FaqStore.load(content_dir())
    index = FaqIndex.build(store, program_settings)
    result = index.ask("how do I sign up?")
"""

from core.faq.check import check_content
from core.faq.mrkdwn import escape_mrkdwn, markdown_to_mrkdwn, split_sections
from core.faq.retrieval import FaqAnswer, FaqIndex, FaqQuestionError, default_method
from core.faq.store import (
    FaqContentError,
    FaqEntry,
    FaqRenderError,
    FaqStore,
    load_program_defaults,
    program_context,
)

__all__ = [
    "FaqAnswer",
    "FaqContentError",
    "FaqEntry",
    "FaqIndex",
    "FaqQuestionError",
    "FaqRenderError",
    "FaqStore",
    "check_content",
    "default_method",
    "escape_mrkdwn",
    "load_program_defaults",
    "markdown_to_mrkdwn",
    "program_context",
    "split_sections",
]
