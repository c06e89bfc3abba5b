"""Answer Slack the moment a listener acknowledges.

Bolt's threaded listener runner (with `process_before_response=False`) hands the listener to
the listener executor and then checks every 10 ms whether it has called `ack()`: every
acknowledgement took 10 ms or more, and under a burst each waiting request held a server
thread while it slept. `PromptAckRunner` waits on an event that `ack()` sets instead (or that
the listener's end sets, when it never acknowledged), with the same 3 s limit.

Everything else is Bolt's behaviour, kept: events are acknowledged before their listener
runs; a listener that fails before acknowledging is answered by the global error handler
(`bot.platform.degraded`) and its answer is the acknowledgement; one that fails after has its
error handled with no response to change. Lazy listeners and `process_before_response` go to
Bolt's own runner unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner


class SignallingAck(Ack):
    """Bolt's `ack()` that also says when it has been called."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.answered.set()


class PromptAckRunner(ThreadListenerRunner):
    @classmethod
    def replacing(cls, runner: ThreadListenerRunner) -> PromptAckRunner:
        return cls(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            listener_executor=runner.listener_executor,
            lazy_listener_runner=runner.lazy_listener_runner,
        )

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        if self.process_before_response or request.lazy_only or listener.lazy_functions:
            return super().run(request, response, listener_name, listener, starting_time)
        ack = request.context.ack
        if not isinstance(ack, SignallingAck):
            ack = SignallingAck()
            request.context["ack"] = ack
        if listener.auto_acknowledgement:
            ack()
        self.listener_executor.submit(self._listen, request, response, listener, ack)
        # The wait keeps its own time (Bolt counts from `starting_time`, a few milliseconds
        # earlier on the wall clock); the ack path's database waits are capped before this.
        ack.answered.wait(listener.ack_timeout)
        if ack.response is None:
            self.logger.warning(f"{listener_name} did not acknowledge the request in time")
        return ack.response

    def _listen(
        self, request: BoltRequest, response: BoltResponse, listener: Listener, ack: SignallingAck
    ) -> None:
        try:
            self.listener_start_handler.handle(request=request, response=response)
            listener.run_ack_function(request=request, response=response)
        except Exception as error:
            self._failed(error, request, response, listener, ack)
        finally:
            self.listener_completion_handler.handle(request=request, response=response)
            ack.answered.set()  # a listener that never acknowledged: stop waiting for it

    def _failed(
        self,
        error: Exception,
        request: BoltRequest,
        response: BoltResponse,
        listener: Listener,
        ack: SignallingAck,
    ) -> None:
        if listener.auto_acknowledgement or ack.response is not None:
            # Slack has its answer already: the handler may tell the person, not answer.
            handled = response if listener.auto_acknowledgement else None
            self.listener_error_handler.handle(error=error, request=request, response=handled)
            return
        failed = response if response is not None else BoltResponse(status=500)
        failed.status = 500
        self.listener_error_handler.handle(error=error, request=request, response=failed)
        ack.response = failed
        ack.answered.set()
