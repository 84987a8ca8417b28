// TypeCodecTest.cpp — encode_type/decode_type (TypeDesc.h), which carry the
// type descriptions of a program compiled ahead of time into its executable.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/TypeDesc.h"

using borel::rt::TypeDesc;
using Tag = TypeDesc::Tag;

namespace {
TypeDesc make(Tag tag, const TypeDesc* elem = nullptr, std::vector<const TypeDesc*> fields = {},
              std::vector<std::string> names = {}) {
  TypeDesc t;
  t.tag = tag;
  t.elem = elem;
  t.fields = std::move(fields);
  t.names = std::move(names);
  return t;
}
}  // namespace

TEST_CASE("every kind of type survives encoding, field names with digits and colons included") {
  const TypeDesc real = make(Tag::Real), integer = make(Tag::Int), boolean = make(Tag::Bool), str = make(Tag::String),
                 unit = make(Tag::Unit), fn = make(Tag::Function);
  const TypeDesc arr = make(Tag::Array, &real);
  const TypeDesc dist = make(Tag::Dist, &arr);
  const TypeDesc opaque_dist = make(Tag::Dist);
  const TypeDesc tup = make(Tag::Tuple, nullptr, {&integer, &arr, &unit});
  const TypeDesc rec =
      make(Tag::Record, nullptr, {&tup, &boolean, &str, &dist, &fn, &opaque_dist}, {"a1", "x:2", "", "d", "f", "o"});
  const TypeDesc nested = make(Tag::Array, &rec);
  for (const TypeDesc* t : {&real, &arr, &dist, &opaque_dist, &tup, &rec, &nested}) {
    const std::string text = borel::rt::encode_type(*t);
    const TypeDesc* back = borel::rt::decode_type(text);
    CHECK(back->to_string() == t->to_string());
    CHECK(borel::rt::encode_type(*back) == text);
  }
}
