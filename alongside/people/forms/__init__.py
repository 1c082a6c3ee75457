"""People forms, split like the views: participants.py, records.py, public.py."""
