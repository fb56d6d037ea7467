#pragma once
// printf into a string: the reports' lines, here and in the deliverables' compliance.

#include <string>

namespace lacquer::analysis {

/// Formats as printf does; lines longer than 255 bytes are cut.
__attribute__((format(printf, 1, 2))) std::string printed(const char* format, ...);

}  // namespace lacquer::analysis
