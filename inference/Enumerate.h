// Enumerate.h — exact inference by enumerating every execution of a program
// whose random choices are all discrete.
//
// The handler suspends the program at each `sample` whose distribution has
// more than one value (decision 1: the suspended program is an immutable
// continuation), and the driver resumes that continuation once per value v
// of the support, with the branch's weight increased by log p(v); observes
// and factors add to the weight as usual. A depth-first walk of this tree
// visits every execution once; the result has one particle per execution
// (its value and its weight p(choices)·likelihood) and the log-evidence is
// the log of the total weight — exact, up to rounding.
//
// Supports: bool (false, true), categorical {0..K-1}, discrete_uniform
// {lo..hi}, binomial {0..n}, the atoms of an `infer` result (nested
// inference), and other integer families (poisson, geometric, neg_binomial)
// from 0 upwards until the remaining probability is below `tail` (1e-12 by
// default; then the result is exact up to that truncation). A sample from a
// continuous family is an error.
//
// Executions are walked one by one, never merged: two paths that reach the
// same state are walked twice, so the cost is the number of executions, not
// of states (a hidden Markov model of length T with K states costs K^T).
// An execution whose weight becomes zero stops there (the handler suspends
// it; the rest of it could only run code that assumes a failed condition).
// Bounds, both options of `enumerate(...)`:
//   * max_depth: an execution that has made max_depth branching choices
//     (choices with more than one possible value) is cut there, and its
//     prior probability — the product of its choices' probabilities — is
//     added to the mass left out. A recursion that ends with probability one
//     (a geometric number of steps) then gives its most probable part;
//     if the mass left out exceeds `tail`, the result would not be exact and
//     enumerate raises an error naming max_depth (an unbounded recursion).
//   * max_executions: the executions walked (complete, of zero weight, or
//     cut) in all; more is an error (the model is too large to enumerate).
#pragma once
#pragma once

#include <cstdint>

#include "inference/Diagnostics.h"
#include "inference/Population.h"
#include "runtime/Model.h"

namespace borel::inference {

struct EnumerateSettings {
  int64_t max_executions = 1000000;
  int64_t max_depth = 1000;
  double tail = 1e-12;  // mass of an infinite support left out
  const char* method = "enumerate";
};

Population enumerate(rt::Model& model, const EnumerateSettings& settings, uint64_t seed,
                     Diagnostics* diagnostics = nullptr);

}  // namespace borel::inference
