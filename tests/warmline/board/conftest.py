from tests.warmline.chat.helpers import world  # noqa: F401  (the fixture: open line, people on shift, screening)
