"""Integrity (数据真实性, 诚信核查): patterns of fabricated activity, found in scoring's facts.

Pure modules, free of SQLAlchemy, nameko and I/O:

- ``facts``: the plain rows the detectors read, grouped per person (PersonFacts).
- ``thresholds``: the configurable thresholds (``thresholds.json``) and their validation.
- ``detectors``: one function per pattern, ``detect`` and ``detect_all``, the Flag.
- ``honest``: an honest district and one fabricated history per pattern (tests, bench).

And their I/O side:

- ``scan``: scoring's fact tables read into PersonFacts, the detectors run, new flags
  stored; incrementally, the people whose facts arrived;
- ``flags``: the flags as records, an auditor's review, the thresholds' versions, the
  deductions an assessment takes;
- ``endpoints``: the RPC entrypoints (a mixin of ScoringService).
"""
