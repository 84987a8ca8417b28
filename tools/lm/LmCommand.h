// LmCommand.h — the `borel lm` subcommand: try the embedded LLM engine from
// the command line.
//
//   borel lm generate --model FILE --prompt TEXT [--max-tokens N --temperature T
//                     --top-k K --top-p P --seed S --threads N --json]
//   borel lm score    --model FILE --prompt TEXT --continuation TEXT [--json]
//   borel lm info     --model FILE
//   borel lm quantize --model FILE --out FILE --type q8_0|q4_0|f16|f32
//   borel lm serve    --model FILE [--port P --host ADDR --threads N --name NAME --quiet]
//                     (OpenAI-compatible HTTP API until SIGINT/SIGTERM; see
//                     stdlib/llm/http/OpenAiServer.h)
//
// Returns a process exit code: 0 on success, 1 on an engine error (bad
// model file, ...), 2 on bad command-line usage.
#pragma once

namespace borel::tools {

// argv[0] is "lm" (or the program name); the subcommand follows.
int run_lm_command(int argc, char** argv);

}  // namespace borel::tools
