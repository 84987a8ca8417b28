// Errors.h — the one way inference reports a user-level failure.
//
// Every error raised by inference is an rt::RuntimeError whose `where` is the
// source location of the site involved (Model::site_location, "file:line:col",
// empty when unknown) and whose message starts with the method's name:
//   model.brl:7:3: smc: every one of the 1000 particles has zero weight
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/Model.h"

namespace borel::inference {

// The error for `site` of `model` (either may be absent: model null, site < 0).
rt::RuntimeError site_error(const rt::Model* model, rt::SiteId site, std::string_view method,
                            std::string_view message);

// An error that concerns no particular site (bad settings, bad arguments).
rt::RuntimeError method_error(std::string_view method, std::string_view message);

// Throws method_error("<what> is <value>, but must be positive /
// non-negative / at least <lo>") when value < lo: a method's integer setting.
void require_at_least(std::string_view method, std::string_view what, int64_t value, int64_t lo);

}  // namespace borel::inference
