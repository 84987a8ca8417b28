// TestModel.h — where the LLM tests find stories260K and its golden file.
//
// Looks in $BOREL_TEST_MODELS, else in the build's ${BOREL_SHARED_DIR}/models.
// When the model is absent the model tests are skipped with a message, except
// under CI=true where its absence is a failure (see main.cpp).
#pragma once

#include "Model.h"
#include "MiniJson.h"

#include <memory>
#include <string>

namespace borel::llm::test {

std::string models_dir();
std::string model_path();  // .../stories260K.gguf
// Null when the model is absent (the test then returns early; main reports the skip).
std::shared_ptr<const Model> test_model();
const Json* golden();
bool model_missing();

}  // namespace borel::llm::test
