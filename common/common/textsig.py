"""Text signatures for near-duplicate detection: MinHash over character 3-shingles.

A signature stands for a text without carrying it: the owner of a text (people's
visit notes, a ticket's description) computes it once, when the text is stored, and
only the signature travels to scoring, which estimates how alike two texts are
(``similarity``: the share of the 64 MinHash values they have in common estimates
the Jaccard similarity of their shingle sets) and finds candidate pairs without
comparing every pair (``bands``: locality-sensitive hashing).

The text is normalised first (NFKC, lower case, nothing kept but letters and digits
of every script: whitespace, punctuation and symbols go), so a copy with other commas,
full-width letters or line breaks is still a copy. Shingles are characters, not words:
Chinese has no spaces between words, and three characters are about a word and a half.

Each of the 64 hash functions is a 32-bit slice of one SHAKE128 digest (hashlib's
extendable-output SHA-3) of 256 bytes per shingle: the same in every process and on
every machine, unlike Python's ``hash``, and one call per shingle where BLAKE2b needs
four for as many bytes (30% faster, measured). A signature keeps the low 16 bits of each minimum (b-bit MinHash):
two different minima agree in them by chance once in 65,536, so the estimate is off
by less than 2e-5, and the signature is 256 hex digits (128 bytes), a fixed length
that stores as a plain string. Changing anything here (the normalisation, the keys,
the shingle length) changes every signature: stored ones would then have to be
computed again, so the constants below are part of the contract.

Measured on this project's shared 2-core machines (``python -m common.textsig``):
0.55-0.8 ms for a 200-character Chinese text, 7-8 ms for the longest (2,000
characters); each text is signed once, when its owner stores it.
"""
import hashlib
import re
import struct
import sys
import unicodedata

from common.errors import InvalidInput

PERMUTATIONS = 64
SHINGLE = 3  # characters
MIN_CHARS = 8  # normalised; shorter is a stock phrase (一切正常): a match there shows nothing
LANE_BITS = 16  # kept of each 32-bit minimum
HEX_PER_LANE = LANE_BITS // 4
SIGNATURE_LENGTH = PERMUTATIONS * HEX_PER_LANE  # hex digits: 256
DEFAULT_BANDS = 16  # of 4 lanes each: texts from about 50% alike are likely candidates

DIGEST_BYTES = PERMUTATIONS * 4  # 64 lanes of 32 bits per shingle
_LANES = struct.Struct(f"<{PERMUTATIONS}I").unpack
_LOW_BITS = (1 << LANE_BITS) - 1
_NOT_KEPT = re.compile(r"[\W_]+")  # \W in Unicode: anything but letters and digits of every script
_SIGNATURE = re.compile(rf"^[0-9a-f]{{{SIGNATURE_LENGTH}}}$")


def normalise(text):
    """``text`` as it is compared: NFKC, lower case, letters and digits only."""
    return _NOT_KEPT.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text):
    """The set of character 3-shingles of the normalised text."""
    kept = normalise(text)
    return {kept[i:i + SHINGLE] for i in range(len(kept) - SHINGLE + 1)}


def signature(text):
    """The text's MinHash signature: 256 lowercase hex digits (64 values of 16 bits,
    in permutation order); None for no text, or one under MIN_CHARS characters once
    normalised (too short to tell a copy from a coincidence)."""
    if not isinstance(text, str):
        return None
    kept = normalise(text)
    if len(kept) < MIN_CHARS:
        return None
    shake = hashlib.shake_128
    rows = [_LANES(shake(shingle.encode("utf-8")).digest(DIGEST_BYTES))
            for shingle in {kept[i:i + SHINGLE] for i in range(len(kept) - SHINGLE + 1)}]
    minima = map(min, zip(*rows))  # per lane, in C: a loop per shingle and lane would be 10x slower
    return "".join(format(value & _LOW_BITS, "04x") for value in minima)


def is_signature(value):
    """Whether ``value`` is a signature as ``signature`` makes them."""
    return isinstance(value, str) and _SIGNATURE.match(value) is not None


def _checked(value, field):
    if not is_signature(value):
        raise InvalidInput(f"{field} is no text signature (256 hex digits).", code="VALIDATION_FAILED",
                           details={"fields": {field: ["not a text signature"]}})
    return value


def similarity(sig_a, sig_b):
    """The estimated Jaccard similarity of the two texts' shingle sets, 0.0 to 1.0:
    the share of lanes in which the signatures agree. A signature that is not one
    (None included: a text too short to sign) is InvalidInput naming it."""
    _checked(sig_a, "sig_a")
    _checked(sig_b, "sig_b")
    same = sum(sig_a[at:at + HEX_PER_LANE] == sig_b[at:at + HEX_PER_LANE]
               for at in range(0, SIGNATURE_LENGTH, HEX_PER_LANE))
    return same / PERMUTATIONS


def bands(sig, bands=DEFAULT_BANDS):
    """The signature's LSH band keys: ``bands`` strings, one per band of
    64 / ``bands`` lanes, each prefixed with its band's number (so equal lanes in
    different bands do not meet). Two texts sharing any key are a candidate pair; with
    16 bands of 4 lanes, texts 50% alike share one with probability 0.65, 70% alike
    0.98, 20% alike 0.03. ``bands`` must divide 64."""
    _checked(sig, "sig")
    if not isinstance(bands, int) or isinstance(bands, bool) or bands < 1 or PERMUTATIONS % bands:
        raise InvalidInput("bands must divide 64 (1, 2, 4, 8, 16, 32 or 64).", code="VALIDATION_FAILED",
                           details={"fields": {"bands": ["must divide 64"]}})
    width = SIGNATURE_LENGTH // bands
    return [f"{band:02d}:{sig[band * width:(band + 1) * width]}" for band in range(bands)]


def _measure():
    """Milliseconds per signature of texts of 200 and 2,000 characters."""
    import random
    import timeit

    chance = random.Random(17)
    for length in (200, 2000):
        text = "".join(chr(chance.randrange(0x4E00, 0x9FA5)) for _ in range(length))
        runs = 200 if length == 200 else 20
        seconds = min(timeit.repeat(lambda: signature(text), number=runs, repeat=5)) / runs
        print(f"{length} characters: {seconds * 1000:.2f} ms per signature")


if __name__ == "__main__":
    sys.exit(_measure())
