"""A stand-in for ``common.textsig`` (MinHash over character 3-shingles) with the same
three functions, for as long as that module is not in the tree: ``install()`` puts it in
place of a missing ``common.textsig`` and leaves a real one alone."""
import hashlib
import importlib
import re
import sys

import numpy

PERMUTATIONS = 64
SHINGLE = 3
MIN_CHARS = 8           # shorter texts get no signature: too few shingles to compare
_PRIME = (1 << 61) - 1
_SPACE = re.compile(r"\s+")


def _seeded(index):
    digest = hashlib.blake2b(f"textsig-{index}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little") % _PRIME | 1, int.from_bytes(digest[8:], "little") % _PRIME


_PERMS = [_seeded(i) for i in range(PERMUTATIONS)]
# (a*h + b) mod p over 32-bit shingle hashes, vectorised: a, b < 2^32 keep it in 64 bits.
_P32 = 4294967311
_A = numpy.array([a % _P32 or 1 for a, _ in _PERMS], dtype=numpy.uint64)[:, None]
_B = numpy.array([b % _P32 for _, b in _PERMS], dtype=numpy.uint64)[:, None]


def signature(text):
    """The MinHash signature of ``text`` (64 ints), or None for a text too short."""
    if not text:
        return None
    text = _SPACE.sub("", text)
    if len(text) < MIN_CHARS:
        return None
    hashes = numpy.array([int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=4).digest(), "little")
                          for shingle in {text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}],
                         dtype=numpy.uint64)
    return ((_A * hashes[None, :] + _B) % _P32).min(axis=1).tolist()


def similarity(a, b):
    """The estimated Jaccard similarity of two signatures (share of equal minima)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / len(a)


def bands(sig, bands=16):
    """LSH band keys of a signature: texts sharing any key are candidates."""
    rows = len(sig) // bands
    return [f"{i}:" + ".".join(map(str, sig[i * rows:(i + 1) * rows])) for i in range(bands)]


def install():
    """``common.textsig``: the real one when it exists, else this stand-in."""
    try:
        return importlib.import_module("common.textsig")
    except ImportError:
        import common
        module = sys.modules[__name__]
        sys.modules["common.textsig"] = module
        common.textsig = module
        return module
