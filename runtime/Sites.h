// Sites.h — the process-wide table of source locations of runtime sites.
//
// The compiler registers the location of every effect and every check that
// can fail at run time ("model.brl:4:3") and embeds the returned id in the
// generated code; runtime errors and inference diagnostics look it up, so
// every runtime message names the source location.
#pragma once

#include <cstdint>
#include <string>

namespace borel::rt {

int64_t register_site(std::string location);
std::string site_location(int64_t id);  // "" for unknown ids
// The site id standing for the user-given name of a random choice
// (`sample(d, "mu")`): the same for every use of the name in the process.
int64_t name_site(const std::string& name);
int64_t site_count();
std::string site_name(int64_t id);  // the name of a named choice's id (name_site), else ""  // ids registered so far: 0 .. site_count() - 1

}  // namespace borel::rt
