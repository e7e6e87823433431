#!/usr/bin/env python3
"""Independent reference for the Go tokenizer's golden file (testdata/openai_reference.json).

It follows openai/CLIP's simple_tokenizer.py with ftfy replaced by NFC normalisation, exactly as the
fixtures were made, and relies on the real `regex` module so that its IGNORECASE quirks (U+0345
dropped, 'ſ' matching 's') and Python's str.lower (final sigma, U+0130 -> "i" + U+0307) are the
reference's own, not re-implemented. It was written for this project; it is not imported by any test.

Usage: python3 reference.py VOCAB_DIR > ../openai_reference.json
where VOCAB_DIR holds vocab.json and merges.txt (a fixture model's tokenizer/ folder).
Needs Python 3 with the `regex` module (Debian: python3-regex).
"""
import html
import json
import random
import sys
import unicodedata

import regex

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)


def byte_symbols():
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


class Reference:
    def __init__(self, folder):
        with open(folder + "/vocab.json", encoding="utf-8") as f:
            self.ids = json.load(f)
        with open(folder + "/merges.txt", encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]
        pairs = [tuple(line.split()) for line in lines if line]
        self.ranks = {p: i for i, p in enumerate(pairs)}
        self.bytesym = byte_symbols()

    def clean(self, text):
        text = unicodedata.normalize("NFC", text)
        text = html.unescape(html.unescape(text)).strip()
        text = regex.sub(r"\s+", " ", text).strip()
        return text.lower()

    def bpe(self, word):
        if word in ("<|startoftext|>", "<|endoftext|>"):
            return [word]
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            best = min(
                ((self.ranks.get((a, b), None), (a, b)) for a, b in zip(parts, parts[1:])),
                key=lambda x: (x[0] is None, x[0] if x[0] is not None else 0),
            )
            if best[0] is None:
                break
            a, b = best[1]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return parts

    def encode(self, text):
        out = [self.ids["<|startoftext|>"]]
        for word in PATTERN.findall(self.clean(text)):
            sym = "".join(self.bytesym[b] for b in word.encode("utf-8"))
            out.extend(self.ids[p] for p in self.bpe(sym))
        out.append(self.ids["<|endoftext|>"])
        return out


# Hand-picked texts: each names the behaviour it pins.
HAND = [
    "a &amp; b",  # html.unescape (disputed case: hf-fast keeps the entity)
    "a &amp; b &lt;tag&gt; &#233;",  # disputed case
    "!<|endoftext|>!",  # disputed case: the punctuation run swallows "!<|"
    "ΣΣ ΟΣ ὈΔΥΣΣΕΎΣ σς",  # disputed case: Python's final-sigma lowercasing
    "á̧ ̧́ aͅ",  # disputed case: U+0345 dropped by regex IGNORECASE
    "&amp;amp; &amp;lt; &ampamp; &lt &notit; &notin; &#x1F600; &#128512 &#0; &#13; &#128; &#x9D; &#1; &#x7f; &#xD800; &#99999999999; &#xFDD0; &#65534; &#x;",
    "&AMP; &Amp; &CounterClockwiseContourIntegral; &NotNestedGreaterGreater; &acE; &fjlig; & amp; &;",
    "it'ſ <|ſtartoftext|> x'ſt 'S 'RE 'Ll",
    "İstanbul İ ǅ ß ẞ ﬁ Ω K Å",
    "ΣΑΣ. Σ' ΑΣ' ΑΣ.Α Σ ΑΣ̈ ᾼΣ ΑΣΑ",
    "\x1ca\x1d b\x1e\x1f",
    "a\x00b\x7fc\x85d\u00a0e\u2003f\u3000g\u200bh\u2028i\u2029j\u180ek\ufeffl",
    "e\u0301 &#101;&#769; \u212b \u1100\u1161\u11a8",
    "<|startoftext|><|endoftext|> <|STARTOFTEXT|> <|start of text|>",
    "don't you'd we'd they're I've I'M you'll 'twas ''s",
    "3.14 1,000 ½ ² Ⅻ ٣ ௰",
    "👍🏽 🇺🇸 👨‍👩‍👧 ❤️ 🐕‍🦺",
    "a" * 60 + " " + "!?" * 40,
    "pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious",
]

ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" \t\n     '\"!?.,;:-_()[]{}<>/\\|@#$%^&*~`+=")
    + ["&amp;", "&lt;", "&#233;", "&#x263a;", "&amp;amp;", "&nbsp;", "<|startoftext|>", "<|endoftext|>", "'s", "'ll"]
    + list("éèêëàâäôöûüçñÉÈÀÇÑßøåæœ")
    + list("ΣσςΑαΒβΩωάέ")
    + list("АБВабвЖжЯя")
    + list("中文日本語汉字カタカナひらがな한글")
    + list("\u0301\u0308\u0327\u0345\u0307\u200d\u200b\ufe0f")
    + list("😀🐶🎉👍🏽❤")
    + list("İıſ\u212a\u01c5ǆ")
    + list("٣٤٥߀١")
)


def random_texts(n, seed):
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        k = rng.randint(1, 24)
        texts.append("".join(rng.choice(ALPHABET) for _ in range(k)))
    return texts


def main():
    ref = Reference(sys.argv[1])
    texts = HAND + random_texts(300, 20240601)
    cases = [{"text": t, "ids": ref.encode(t)} for t in texts]
    json.dump(
        {
            "_about": "ids from testdata/reference/reference.py (openai/CLIP simple_tokenizer semantics, "
            "NFC in place of ftfy) over the real CLIP vocabulary of the fixtures; BOS and EOS included, no padding",
            "cases": cases,
        },
        sys.stdout,
        ensure_ascii=True,
        indent=0,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
