"""OpenAI's CLIP simple_tokenizer.py, ported to Debian's python3 (no `regex`, no `ftfy`).

Usage: clip_tokenizer_reference.py BPE_GZ OUT_DIR SENTENCES_FILE
Builds the vocabulary exactly as simple_tokenizer does (bytes_to_unicode, bytes + bytes+'</w>' +
joined merges + the two specials), writes it in Hugging Face form (OUT_DIR/vocab.json and
OUT_DIR/merges.txt), then prints one line of token ids per line of SENTENCES_FILE (UTF-8), start
and end tokens included. The \\p{L} / \\p{N} classes of the original pattern are built from
unicodedata, so the pre-split regex is the original one.
"""
import gzip
import html
import json
import re
import sys
import unicodedata


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def char_class(prefix):
    ranges, start, previous = [], None, None
    for code in range(0x110000):
        inside = unicodedata.category(chr(code)).startswith(prefix)
        if inside and start is None:
            start = code
        if not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


def get_pairs(word):
    return set(zip(word[:-1], word[1:]))


bpe_path, out_dir, sentences_path = sys.argv[1:4]
byte_encoder = bytes_to_unicode()
merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
merges = merges[1:49152 - 256 - 2 + 1]
merges = [tuple(merge.split()) for merge in merges]
vocab = list(bytes_to_unicode().values())
vocab = vocab + [v + "</w>" for v in vocab]
for merge in merges:
    vocab.append("".join(merge))
vocab.extend(["<|startoftext|>", "<|endoftext|>"])
encoder = dict(zip(vocab, range(len(vocab))))
bpe_ranks = dict(zip(merges, range(len(merges))))

with open(f"{out_dir}/vocab.json", "w", encoding="utf-8") as f:
    json.dump(encoder, f, ensure_ascii=False)
with open(f"{out_dir}/merges.txt", "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n")
    for a, b in merges:
        f.write(f"{a} {b}\n")

L, N = char_class("L"), char_class("N")
pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[""" + L + r"""]+|[""" + N +
                 r"""]|[^\s""" + L + N + r"""]+""", re.IGNORECASE)


def bpe(token):
    word = tuple(token[:-1]) + (token[-1] + "</w>",)
    pairs = get_pairs(word)
    if not pairs:
        return token + "</w>"
    while True:
        bigram = min(pairs, key=lambda pair: bpe_ranks.get(pair, float("inf")))
        if bigram not in bpe_ranks:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            try:
                j = word.index(first, i)
                new_word.extend(word[i:j])
                i = j
            except ValueError:
                new_word.extend(word[i:])
                break
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = get_pairs(word)
    return " ".join(word)


def encode(text):
    text = unicodedata.normalize("NFC", html.unescape(html.unescape(text)).strip())
    text = re.sub(r"\s+", " ", text).strip().lower()
    tokens = []
    for token in re.findall(pat, text):
        if token in ("<|startoftext|>", "<|endoftext|>"):
            tokens.append(encoder[token])
            continue
        token = "".join(byte_encoder[b] for b in token.encode("utf-8"))
        tokens.extend(encoder[t] for t in bpe(token).split(" "))
    return tokens


with open(sentences_path, encoding="utf-8") as f:
    for line in f.read().split("\n"):
        if line:
            print(" ".join(str(t) for t in [encoder["<|startoftext|>"]] + encode(line) + [encoder["<|endoftext|>"]]))
