"""Matching pages: coordinator.py and peer.py (staff side), person.py and mentorship.py."""
