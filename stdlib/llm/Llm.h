// Llm.h — the embedded LLM engine's public C++ API in one include.
//
// Load a GGUF model (Model), keep sequences' attention state in a forkable
// paged cache (KvCache, Sequence), run the transformer over one or many
// sequences (BatchDecoder), and turn logits into tokens with exact
// log-probabilities under the model and the proposal (Sampling). See
// docs/llm.md.
#pragma once

#include "BatchDecoder.h"
#include "Error.h"
#include "GgufReader.h"
#include "GgufWriter.h"
#include "KvCache.h"
#include "Model.h"
#include "Quantize.h"
#include "Sampling.h"
#include "Tokenizer.h"
