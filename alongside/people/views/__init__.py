"""People pages, split by area: participants.py (staff records, intake queue, caseload),
records.py (consent, contacts, family, guardians, peer profile), public.py (self-referral)."""
