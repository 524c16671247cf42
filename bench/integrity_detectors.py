"""The integrity detectors alone (no database): how long every pattern takes over a large
district on one core, and their precision and recall over a mixed population.

    python -m bench.integrity_detectors [--workers 10000] [--base 400] [--share 0.05]

A base district (``--base`` workers, ``--share`` of them fabricators, the patterns in
turn) is made with honest.mixed_district, then copied until there are ``--workers``
people: each copy gets its own person id and its own text signatures (a bijection of
the values, so its own copies stay copies and no two people's texts coincide). The
time printed is the detectors' own, from PersonFacts to flags, on one core.
"""
import argparse
import dataclasses
import os
import random
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from scoring.integrity import detectors, honest  # noqa: E402
from scoring.integrity.thresholds import PATTERNS  # noqa: E402


def _respelt(sig, mask):
    """The signature with every lane XORed with the copy's own mask: lanes equal before
    are equal after, and no lane of two copies meets by more than chance."""
    return None if sig is None else bytes(a ^ b for a, b in zip(bytes.fromhex(sig), mask)).hex()


def copy_person(person, person_id, rng):
    """``person`` as another person: ids on their tickets follow, signatures respelt."""
    mask = rng.randbytes(128)
    old = person.person_id

    def ticket(t):
        return dataclasses.replace(
            t, ticket_id=f"{person_id}-{t.ticket_id}",
            reporter_person_id=person_id if t.reporter_person_id == old else t.reporter_person_id,
            resolved_by_person_id=person_id if t.resolved_by_person_id == old else t.resolved_by_person_id,
            responsible_person_id=person_id if t.responsible_person_id == old else t.responsible_person_id,
            description_sig=_respelt(t.description_sig, mask))

    tickets = {t.ticket_id: ticket(t) for t in person.tickets_reported + person.tickets_resolved}
    return dataclasses.replace(
        person, person_id=person_id,
        tickets_reported=tuple(tickets[t.ticket_id] for t in person.tickets_reported),
        tickets_resolved=tuple(tickets[t.ticket_id] for t in person.tickets_resolved),
        visits=tuple(dataclasses.replace(v, notes_sig=_respelt(v.notes_sig, mask)) for v in person.visits))


def population(workers, base, share, seed=17):
    made = honest.mixed_district(seed, workers=base, share=share)
    rng = random.Random(seed)
    persons, truth = [], {}
    for n in range(workers):
        original = made.persons[n % len(made.persons)]
        copy = original if n < len(made.persons) else copy_person(original, f"{original.person_id}-c{n}", rng)
        persons.append(copy)
        truth[copy.person_id] = made.truth[original.person_id]
    return honest.Population(persons=tuple(persons), truth=truth)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=400)
    parser.add_argument("--share", type=float, default=0.05)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    mixed = population(args.workers, args.base, args.share)
    facts = sum(person.count() for person in mixed.persons)
    print(f"made {len(mixed.persons):,} workers, {facts:,} facts "
          f"({facts / len(mixed.persons):.0f} each) in {time.perf_counter() - started:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    flags = detectors.detect_all(mixed.persons, honest.DEFAULT_PERIOD)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"all {len(PATTERNS)} patterns: {wall:.1f} s wall, {used:.1f} s CPU, "
          f"{facts / wall / 1e6:.2f} M facts/s, {len(flags):,} flags")
    for pattern in PATTERNS:
        started = time.perf_counter()
        detectors.detect_all(mixed.persons, honest.DEFAULT_PERIOD, patterns=[pattern])
        print(f"  {pattern:<22} {time.perf_counter() - started:6.2f} s")

    result = honest.evaluate(mixed, flags)
    print(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
          f"({result['caught']}/{result['fabricators']} fabricators caught, "
          f"{result['false_flags']} false flags among {result['flags']})")
    for pattern, row in result["by_pattern"].items():
        print(f"  {pattern:<22} fabricators {row['fabricators']:>4}  caught {row['caught']:>4}  "
              f"flags {row['flags']:>4}  false {row['false_flags']:>3}")


if __name__ == "__main__":
    main()
