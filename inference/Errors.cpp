// Errors.cpp — formatting of inference errors (see Errors.h).
#include "inference/Errors.h"

namespace borel::inference {

rt::RuntimeError site_error(const rt::Model* model, rt::SiteId site, std::string_view method,
                            std::string_view message) {
  rt::RuntimeError e;
  if (model && site >= 0) e.where = model->site_location(site);
  e.message = std::string(method) + ": " + std::string(message);
  return e;
}

rt::RuntimeError method_error(std::string_view method, std::string_view message) {
  return site_error(nullptr, -1, method, message);
}

void require_at_least(std::string_view method, std::string_view what, int64_t value, int64_t lo) {
  if (value >= lo) return;
  const std::string bound = lo == 0 ? "non-negative" : lo == 1 ? "positive" : "at least " + std::to_string(lo);
  throw method_error(method, std::string(what) + " is " + std::to_string(value) + ", but must be " + bound);
}

}  // namespace borel::inference
