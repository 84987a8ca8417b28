// Contexts.h — one rt::Ctx per worker thread, in memory the collector scans
// (a model may keep GC pointers in ctx.impl between steps).
#pragma once

#include <cstdint>
#include <new>

#include "inference/GcRoots.h"
#include "runtime/Model.h"

namespace borel::inference {

class Contexts {
 public:
  explicit Contexts(int n) : words_((static_cast<int64_t>(sizeof(rt::Ctx)) * n + 7) / 8) {
    ctx_ = reinterpret_cast<rt::Ctx*>(words_.data());
    for (int k = 0; k < n; ++k) new (&ctx_[k]) rt::Ctx();
  }
  rt::Ctx& operator[](int k) { return ctx_[k]; }

 private:
  RootArray words_;
  rt::Ctx* ctx_;
};

}  // namespace borel::inference
