// RealShapeModel.h — a GGUF model of a real shape for the benchmarks:
// random Q8_0 weights at Llama-3.2-1B's dimensions (hidden 2048, 16 layers,
// 32 heads, 8 KV heads, FFN 8192, vocabulary 128,256, output tied to the
// token embedding: 1.24 G parameters, 1.32 GB), written with the engine's
// own GgufWriter. Never stored in the repository: each benchmark writes it to
// a temporary file at run time. Deterministic: the same bytes every time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace borel::bench {

inline constexpr size_t kShapeEmbd = 2048, kShapeLayers = 16, kShapeHeads = 32, kShapeKvHeads = 8,
                        kShapeFf = 8192, kShapeVocab = 128256;

// Multiply-adds of the weight matrices per token (attention itself excluded).
inline constexpr double kShapeMacsPerToken =
    double(kShapeLayers) * (2.0 * kShapeEmbd * kShapeEmbd + 2.0 * kShapeEmbd * (kShapeEmbd / kShapeHeads * kShapeKvHeads) +
                            3.0 * kShapeEmbd * kShapeFf) +
    double(kShapeEmbd) * kShapeVocab;

// A SplitMix64 step: the weights' random numbers.
uint64_t splitmix(uint64_t& state);

// A cols x rows Q8_0 matrix of uniform random weights of standard deviation `sd`.
std::vector<std::byte> random_q8(size_t cols, size_t rows, float sd, uint64_t& rng);

// Writes the model to `path`. Its vocabulary is SentencePiece-style pieces
// "▁t<id>" after <unk>, <s>, </s> (the benchmarks feed token ids).
void write_real_shape_model(const std::string& path);

// A fresh temporary path for it (the process id in its name).
std::string real_shape_model_path();

}  // namespace borel::bench
