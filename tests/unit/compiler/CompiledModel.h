// CompiledModel.h — a Borel source compiled for a test, with its exported
// zero-argument `fn model()` as an rt::Model (the Program owns its code, so
// both live together).
#pragma once

#include <memory>
#include <string>

#include "borel/Borel.h"

namespace borel::test {

struct Compiled {
  Program program;
  std::unique_ptr<rt::Model> model;
};

inline Compiled compile_model(const std::string& source) {
  Program p = Program::from_source("model.brl", source, {"model"});
  auto m = p.model("model");
  return {std::move(p), std::move(m)};
}

}  // namespace borel::test
