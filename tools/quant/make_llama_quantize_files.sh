#!/usr/bin/env bash
# Makes the files LlamaQuantizeFilesTest reads: a synth qwen3-0.6b F16 model (with the real qwen3
# vocabulary) and llama.cpp's llama-quantize outputs of it, then runs the test.
#   tools/quant/make_llama_quantize_files.sh DIR [LLAMA_BIN_DIR]
# The files take about 4 GB and each quantization a few minutes: not for CI.
set -euo pipefail
DIR=${1:?usage: $0 DIR [LLAMA_BIN_DIR]}
BIN=${2:-../llama/build/bin}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$DIR"
[ -f "$DIR/qwen3-f16.gguf" ] || "$ROOT/ember" synth --preset qwen3-0.6b --type F16 --out "$DIR/qwen3-f16.gguf" \
    --vocab-from "$ROOT/../shared/vocab/ggml-vocab-qwen3-from-tiktoken.gguf"
for t in Q4_K_M Q5_K_M Q3_K_M Q2_K IQ4_XS IQ4_NL Q4_1 Q5_0 Q5_1 Q6_K; do
  [ -f "$DIR/qwen3-$t.gguf" ] || { "$BIN/llama-quantize" "$DIR/qwen3-f16.gguf" "$DIR/qwen3-$t.gguf.part" "$t" "$(nproc)" > "$DIR/quantize-$t.log" \
      && mv "$DIR/qwen3-$t.gguf.part" "$DIR/qwen3-$t.gguf"; }
done
cd "$ROOT" && mvn -o -q -pl engine test -Dtest=LlamaQuantizeFilesTest -Dsurefire.failIfNoSpecifiedTests=false -Dember.quant.dir="$DIR"
