from __future__ import annotations

from tests.diagnosis.school import mail_settings, school  # noqa: F401  (fixtures)
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)
