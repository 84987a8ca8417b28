#!/usr/bin/env python3
"""Writes tests/llm/data/bpe_pretokenize_golden.txt: random Unicode texts and
the pieces the byte-level BPE pre-tokenizers' regexes cut them into, as
computed by the third-party `regex` module (Debian: python3-regex), which has
\\p{L}, \\p{N}, \\p{White_Space} and look-ahead. The C++ scanners
(stdlib/llm/BpePreTokenizer.cpp) must reproduce these pieces
(tests/llm/BpeTokenizerTest.cpp); this is an independent implementation of the
same regexes, not llama.cpp's output.

The regexes are those of BpePreTokenizer.h, with \\s spelled \\p{White_Space}
(the class the engine uses) and Llama 3's case-insensitive contractions
spelled for ASCII, as llama.cpp does. Only code points whose class (letter,
number, whitespace, other) is the same in Python's unicodedata (the version
UnicodeTable.cpp was generated from) and in the regex module are used, so the
two Unicode versions cannot disagree.

Deterministic (fixed seed). Format, one case a line, tab-separated:
    kind  hex(text)  hex(piece),hex(piece),...
Run from the repository root:
    python3 scripts/gen_bpe_pretokenize_golden.py > tests/llm/data/bpe_pretokenize_golden.txt
"""
import random
import sys
import unicodedata

import regex

WS = r"\p{White_Space}"
NWS = r"\P{White_Space}"
GPT2 = rf"'s|'t|'re|'ve|'m|'ll|'d| ?\p{{L}}+| ?\p{{N}}+| ?[^{WS}\p{{L}}\p{{N}}]+|{WS}+(?!{NWS})|{WS}+"
LLAMA3_HEAD = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|"
LLAMA3_TAIL = rf"| ?[^{WS}\p{{L}}\p{{N}}]+[\r\n]*|{WS}*[\r\n]+|{WS}+(?!{NWS})|{WS}+"
PATTERNS = {
    "gpt2": regex.compile(GPT2),
    "llama3": regex.compile(LLAMA3_HEAD + r"\p{N}{1,3}" + LLAMA3_TAIL),
    "qwen2": regex.compile(LLAMA3_HEAD + r"\p{N}" + LLAMA3_TAIL),
}

WHITE_SPACE = set([0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] + list(range(0x09, 0x0E)) +
                  [0x20] + list(range(0x2000, 0x200B)))


def class_unicodedata(c):
    if ord(c) in WHITE_SPACE:
        return "W"
    cat = unicodedata.category(c)
    return cat[0] if cat[0] in "LN" else "O"


def class_regex(c):
    if regex.match(r"\p{White_Space}", c):
        return "W"
    if regex.match(r"\p{L}", c):
        return "L"
    if regex.match(r"\p{N}", c):
        return "N"
    return "O"


def main():
    rng = random.Random(20240611)
    # Fragments chosen to hit every alternative: contractions in both cases,
    # runs of spaces and newlines, digits of several scripts, letters of
    # several scripts, combining marks, symbols, emoji, exotic whitespace.
    fragments = ["'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'LL", "'d", "'x", "'", " ", " ", "  ", "\n", "\r\n",
                 "\t", "\n\n", " \n", "a", "Z", "word", " the", "123", "4567", "é", "naïve", "Ж", "Ωμέγα", "中文",
                 "あ", "한국", "ـ", "٣٤", "१२", "²", "½", "Ⅻ", "１２", "\u0301", "\u0915\u093f", "!", "...", "(", ")",
                 "_", "-", "$", "€", "😀", "👍🏽", "\u00a0", "\u3000", "\u2028", "\u200b", "\u0085", "\x0b", "\x1c",
                 "\x00", "\x7f", "\ufffd", "\U0001D7CE", "ſ", "İ"]
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x52F), (0x590, 0x6FF), (0x900, 0xDFF), (0x1E00, 0x1FFF),
              (0x2000, 0x2BFF), (0x3000, 0x30FF), (0x4E00, 0x4E80), (0xAC00, 0xAC80), (0xFF00, 0xFFEF),
              (0x10000, 0x1FFFF)]
    skipped = set()

    def usable(c):
        if 0xD800 <= ord(c) <= 0xDFFF:
            return False
        if class_unicodedata(c) != class_regex(c):
            skipped.add(ord(c))
            return False
        return True

    out = sys.stdout
    n_cases = 400
    for kind, pattern in PATTERNS.items():
        for _ in range(n_cases):
            text = ""
            for _ in range(rng.randrange(1, 14)):
                if rng.random() < 0.6:
                    text += rng.choice(fragments)
                else:
                    lo, hi = rng.choice(ranges)
                    c = chr(rng.randint(lo, hi))
                    if usable(c):
                        text += c
            assert all(usable(c) for c in text), text
            pieces = pattern.findall(text)
            assert "".join(pieces) == text, (kind, text, pieces)
            enc = lambda s: s.encode("utf-8").hex()
            out.write("%s\t%s\t%s\n" % (kind, enc(text), ",".join(enc(p) for p in pieces)))
    print("skipped %d code points whose class differs between unicodedata %s and regex" %
          (len(skipped), unicodedata.unidata_version), file=sys.stderr)


if __name__ == "__main__":
    main()
