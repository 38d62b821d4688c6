"""Rasa's RedisLockStore, made safe for several Rasa processes.

Rasa's lock store keeps each conversation's queue of tickets as one Redis value and changes it
by read, modify, write. Two replicas taking messages of one conversation at the same moment
both read an empty queue, both draw ticket 0 and both go ahead: one of the two messages is then
lost when the tracker store saves (`tests/test_scale_out.py` caught it). Here every change of a
conversation's queue runs under a short Redis mutex (redis-py's `Lock`, SET NX with a timeout),
so tickets are drawn one at a time across processes.
"""
from contextlib import contextmanager
from typing import Iterator, Text

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

MUTEX_TIMEOUT_S = 5


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    @contextmanager
    def _mutex(self, conversation_id: Text) -> Iterator[None]:
        # outside the lock keys' namespace (key_prefix…), so no conversation id can collide
        with self.red.lock(f"mutex:{self.key_prefix}{conversation_id}",
                           timeout=MUTEX_TIMEOUT_S, blocking_timeout=MUTEX_TIMEOUT_S):
            yield

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # Rasa's finish_serving + is_someone_waiting + delete_lock, as one step
        with self._mutex(conversation_id):
            lock = self.get_lock(conversation_id)
            if not lock:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)
