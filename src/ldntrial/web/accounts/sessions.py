"""Sessions stored under a hash of their key (decision 0010).

The browser holds the session key; the database holds only its SHA-256. Session keys are 32
random characters from 36 (about 165 bits), so the hash cannot be turned back into a cookie,
and a copy of the database gives no one a session to replay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone


def stored_key(session_key: str) -> str:
    return hashlib.sha256(f"ldntrial-session|{session_key}".encode()).hexdigest()


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from ldntrial.web.accounts.models import Session

        return Session

    # When the stored row ends, as read at the start of this request (the idle warning counts
    # down from it: accounts.middleware.seconds_left).
    stored_expiry: dt.datetime | None = None

    def _get_session_from_db(self) -> Any:
        try:
            row = self.model.objects.get(
                session_key=stored_key(self.session_key or ""), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None
        self.stored_expiry = row.expire_date
        return row

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]  # SessionBase's, not in the stubs
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=stored_key(session_key)).delete()

    # The async variants go through the same hashed look-ups.
    async def _aget_session_from_db(self) -> Any:
        return await sync_to_async(self._get_session_from_db)()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return self.create_model_instance(data)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)
