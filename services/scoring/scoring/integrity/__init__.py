"""Integrity (诚信核查): patterns of fabricated activity, found in scoring's facts.

Pure modules, free of SQLAlchemy, nameko and I/O:

- ``facts``: the plain rows the detectors read, grouped per person (PersonFacts).
- ``thresholds``: the configurable thresholds (``thresholds.json``) and their validation.
- ``detectors``: one function per pattern, ``detect`` and ``detect_all``, the Flag.
- ``honest``: an honest district and one fabricated history per pattern (tests, bench).

The SQL side (loading PersonFacts, storing and reviewing flags) lives beside, not here.
"""
