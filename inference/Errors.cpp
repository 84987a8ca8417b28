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

}  // namespace borel::inference
