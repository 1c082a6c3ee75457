from tests.warmline.chat.helpers import world  # noqa: F401  (the fixture, shared by this folder)
