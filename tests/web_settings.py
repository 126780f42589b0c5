"""Settings for the test suite: the real settings, with a throwaway data directory.

The one change: a fast password hasher first, because the suite creates many accounts and an
Argon2id hash costs about 0.14 s here. Production hashing is checked in
tests/web/accounts/test_security_settings.py against ldntrial.web.settings itself.
"""

import os
import tempfile

os.environ.setdefault("LDNTRIAL_DATA_DIR", tempfile.mkdtemp(prefix="ldntrial-test-"))

from ldntrial.web.settings import *  # noqa: F403
from ldntrial.web.settings import PASSWORD_HASHERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# SQLite: the test database is a file, like the real one (WAL, busy timeout), so that tests
# with real threads (tests/web/security/test_races.py) see SQLite's own locking rather than
# the shared-cache in-memory database's "table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["LDNTRIAL_DATA_DIR"], "test-ldntrial.sqlite3")
    }
