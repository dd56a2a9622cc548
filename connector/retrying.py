"""When and how long to retry a failed call (tenacity).

Retried: connection errors and timeouts, 423, 429 (not the daily limit), 477, 5xx and 524, with
exponential backoff and jitter, or exactly what ``Retry-After`` or the 429's policy says. Bounded by
attempts and by total time; every retry is logged at WARNING with the endpoint and the reason.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from .errors import CRMError, RateLimited, is_retriable


def never_applied(error: BaseException) -> bool:
    """Retriable, and certainly not applied: a 429 is refused before any work. A create (which HubSpot cannot
    make idempotent) is retried only on these; after a timeout or a 5xx it may exist, which only a look can tell."""
    return isinstance(error, RateLimited) and is_retriable(error)

log = logging.getLogger("smarketing.connector")

# How long HubSpot's policies need before a new request fits (API notes, section 14).
POLICY_WAIT = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    total_seconds: float = 300.0
    initial_wait: float = 0.5
    max_wait: float = 30.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Full jitter: a random wait up to the exponential ceiling."""
        return min(self.max_wait, self.initial_wait * 2 ** (attempt - 1)) * (0.5 + rng() / 2)


def wait_for(error: BaseException | None, attempt: int, policy: RetryPolicy) -> float:
    if isinstance(error, CRMError) and error.retry_after is not None:
        return min(error.retry_after, policy.total_seconds)
    if isinstance(error, RateLimited) and error.policy in POLICY_WAIT:
        return POLICY_WAIT[error.policy]
    return policy.backoff(attempt)


def retrying(policy: RetryPolicy, sleep: Callable[[float], None], endpoint: str,
             on_retry: Callable[[BaseException | None], None],
             retriable: Callable[[BaseException], bool] = is_retriable) -> Retrying:
    def wait(state: RetryCallState) -> float:
        return wait_for(_error(state), state.attempt_number, policy)

    def before_sleep(state: RetryCallState) -> None:
        error = _error(state)
        on_retry(error)
        wait_seconds = state.next_action.sleep if state.next_action else 0.0
        log.warning("retrying %s in %.1f s after %s (attempt %d of %d)", endpoint, wait_seconds,
                    _reason(error), state.attempt_number, policy.attempts)

    return Retrying(retry=retry_if_exception(retriable), wait=wait, sleep=sleep, reraise=True,
                    stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.total_seconds),
                    before_sleep=before_sleep)


def _error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _reason(error: BaseException | None) -> str:
    if isinstance(error, CRMError):
        return str(error)
    return type(error).__name__ if error else "an unknown error"
