#include "GgmlType.h"

namespace borel::llm {

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t code) {
  switch (code) {
    case 0: return GgmlTypeTraits{"F32", 1, 4};
    case 1: return GgmlTypeTraits{"F16", 1, 2};
    case 2: return GgmlTypeTraits{"Q4_0", 32, 18};
    case 3: return GgmlTypeTraits{"Q4_1", 32, 20};
    case 6: return GgmlTypeTraits{"Q5_0", 32, 22};
    case 7: return GgmlTypeTraits{"Q5_1", 32, 24};
    case 8: return GgmlTypeTraits{"Q8_0", 32, 34};
    case 9: return GgmlTypeTraits{"Q8_1", 32, 36};
    case 10: return GgmlTypeTraits{"Q2_K", 256, 84};
    case 11: return GgmlTypeTraits{"Q3_K", 256, 110};
    case 12: return GgmlTypeTraits{"Q4_K", 256, 144};
    case 13: return GgmlTypeTraits{"Q5_K", 256, 176};
    case 14: return GgmlTypeTraits{"Q6_K", 256, 210};
    case 15: return GgmlTypeTraits{"Q8_K", 256, 292};
    case 24: return GgmlTypeTraits{"I8", 1, 1};
    case 25: return GgmlTypeTraits{"I16", 1, 2};
    case 26: return GgmlTypeTraits{"I32", 1, 4};
    case 27: return GgmlTypeTraits{"I64", 1, 8};
    case 28: return GgmlTypeTraits{"F64", 1, 8};
    case 30: return GgmlTypeTraits{"BF16", 1, 2};
    default: return std::nullopt;
  }
}

std::string ggml_type_name(GgmlType t) {
  auto traits = ggml_type_traits(static_cast<uint32_t>(t));
  return traits ? traits->name : "type#" + std::to_string(static_cast<uint32_t>(t));
}

}  // namespace borel::llm
