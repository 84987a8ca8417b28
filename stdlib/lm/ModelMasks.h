// ModelMasks.h — what every token mask of a model shares: the model's
// TokenIndex (its tokens as bytes, sorted for scans), made once per model,
// and mask answers as Borel arrays that live for the process.
//
// Guarantees: index_of returns the same index for a model on every call
// (models live for the process); the arrays of uncollectable_array and
// text_tokens are never freed, so `masked` may keep them without copying.
#pragma once

#include <memory>
#include <vector>

#include "LanguageModel.h"
#include "TokenIndex.h"
#include "runtime/Value.h"

namespace borel::lm {

std::shared_ptr<const TokenIndex> index_of(const LanguageModel& lm);
// ids as a Borel [int] array that is never freed.
const rt::Array* uncollectable_array(const std::vector<llm::TokenId>& ids);
// `text_tokens(lm)`: TokenIndex::text_ids of the model, made once per model.
const rt::Array* text_tokens(const LanguageModel& lm);

}  // namespace borel::lm
